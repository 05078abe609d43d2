"""
WSGI entry point for gunicorn: ``gunicorn helpdesk_site.wsgi:application``.

The deploy role sets DJANGO_SETTINGS_MODULE to its rendered overlay; the
default below is for a developer's machine.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")

application = get_wsgi_application()
