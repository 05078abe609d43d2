import logging
import sys

from django.core.signals import got_request_exception

logger = logging.getLogger("helpdesk.errors")


def _remember_exception(sender, request=None, **kwargs):
    # Django turns a view's exception into a 500 response before any
    # middleware sees it; keep the traceback so the report carries it.
    if request is not None:
        request._helpdesk_exc_info = sys.exc_info()


got_request_exception.connect(_remember_exception, dispatch_uid="helpdesk.errors")


class ErrorReportingMiddleware:
    """
    Report every 5xx response to the "helpdesk.errors" logger.

    This lives in code, not in LOGGING, so the alert hook survives a deploy
    overlay that replaces LOGGING: the overlay only decides where the records
    go (the cut-over issue hangs Slack and e-mail handlers off this logger).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 500:
            logger.error(
                "HTTP %s on %s %s",
                response.status_code,
                request.method,
                request.get_full_path(),
                exc_info=getattr(request, "_helpdesk_exc_info", None),
                extra={"status_code": response.status_code, "request": request},
            )
        return response
