from collections import defaultdict

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods

from . import audit
from .auth import legacy_user_id
from .forms import CommentForm, LegacyAuthenticationForm, TicketForm
from .models import Comments, Tags, Tickets, TicketStatuses, TicketTags, Users

PAGE_SIZE = 25

# The write views are atomic themselves and do not rely on ATOMIC_REQUESTS:
# a deploy overlay that replaces DATABASES may well drop that key.


@method_decorator(transaction.atomic, name="post")
class LoginView(auth_views.LoginView):
    """Shadow user sync, users.last_login and the login audit row: all or nothing."""

    authentication_form = LegacyAuthenticationForm
    redirect_authenticated_user = True


def tags_by_ticket(ticket_ids):
    tags = defaultdict(list)
    rows = (
        TicketTags.objects.filter(ticket_id__in=ticket_ids)
        .select_related("tag")
        .order_by("tag__name")
    )
    for row in rows:
        tags[row.ticket_id].append(row.tag.name)
    return tags


def set_ticket_tags(ticket_id, names):
    """Make the ticket's tags exactly `names`, creating tags that do not exist yet."""
    tag_ids = []
    for name in names:
        # get_or_create retries the lookup if PHP created the same tag meanwhile.
        tag, _ = Tags.objects.get_or_create(name=name)
        tag_ids.append(tag.pk)
    TicketTags.objects.filter(ticket_id=ticket_id).exclude(tag_id__in=tag_ids).delete()
    existing = set(TicketTags.objects.filter(ticket_id=ticket_id).values_list("tag_id", flat=True))
    TicketTags.objects.bulk_create(
        [TicketTags(ticket_id=ticket_id, tag_id=tag_id) for tag_id in tag_ids if tag_id not in existing],
        ignore_conflicts=True,
    )


@login_required
@require_GET
def ticket_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    tickets = Tickets.objects.select_related("status", "reporter", "assignee").order_by(
        "-updated_at", "-id"
    )
    if q:
        # icontains is PostgreSQL's case-insensitive match, with % and _ in
        # the search text taken literally.
        tickets = tickets.filter(Q(subject__icontains=q) | Q(body__icontains=q))
    if status:
        tickets = tickets.filter(status_id=status)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    tags = tags_by_ticket([t.pk for t in page])
    rows = [(ticket, tags.get(ticket.pk, [])) for ticket in page]
    return render(
        request,
        "helpdesk/ticket_list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "status": status,
            "statuses": TicketStatuses.objects.order_by("sort_order", "code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@transaction.atomic
def ticket_detail(request, ticket_id):
    ticket = get_object_or_404(
        Tickets.objects.select_related("status", "reporter", "assignee"), pk=ticket_id
    )
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            actor = legacy_user_id(request.user)
            Comments.objects.create(
                ticket_id=ticket.pk, author_id=actor, body=form.cleaned_data["body"], created_at=Now()
            )
            audit.write(
                user_id=actor,
                action=audit.COMMENT,
                entity="ticket",
                entity_id=ticket.pk,
                details=ticket.subject,
            )
            return redirect(reverse("ticket-detail", args=[ticket.pk]) + "#comments")
    else:
        form = CommentForm()
    comments = list(Comments.objects.filter(ticket_id=ticket.pk).order_by("created_at", "id"))
    # comments.author_id was never declared as a foreign key, so no join.
    authors = Users.objects.in_bulk({c.author_id for c in comments})
    return render(
        request,
        "helpdesk/ticket_detail.html",
        {
            "ticket": ticket,
            "tags": tags_by_ticket([ticket.pk]).get(ticket.pk, []),
            "comments": [(c, authors.get(c.author_id)) for c in comments],
            "history": audit.for_entity("ticket", ticket.pk),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@transaction.atomic
def ticket_create(request):
    if request.method == "POST":
        form = TicketForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            actor = legacy_user_id(request.user)
            ticket = Tickets.objects.create(
                subject=data["subject"],
                body=data["body"],
                status_id=data["status"],
                priority=data["priority"],
                reporter_id=actor,
                assignee_id=data["assignee"],
                # The database's clock, as PHP's DEFAULT now() uses.
                created_at=Now(),
                updated_at=Now(),
            )
            set_ticket_tags(ticket.pk, data["tags"])
            audit.write(
                user_id=actor,
                action=audit.CREATE,
                entity="ticket",
                entity_id=ticket.pk,
                details=data["subject"],
            )
            return redirect("ticket-detail", ticket.pk)
    else:
        form = TicketForm(initial={"status": "open", "priority": 3})
    return render(request, "helpdesk/ticket_form.html", {"form": form, "ticket": None})


@login_required
@require_http_methods(["GET", "POST"])
@transaction.atomic
def ticket_edit(request, ticket_id):
    ticket = get_object_or_404(Tickets, pk=ticket_id)
    if request.method == "POST":
        form = TicketForm(request.POST, current_assignee_id=ticket.assignee_id)
        if form.is_valid():
            data = form.cleaned_data
            # update() writes only the edited columns: reporter_id and
            # created_at stay exactly as PHP left them.
            Tickets.objects.filter(pk=ticket.pk).update(
                subject=data["subject"],
                body=data["body"],
                status_id=data["status"],
                priority=data["priority"],
                assignee_id=data["assignee"],
                updated_at=Now(),
            )
            set_ticket_tags(ticket.pk, data["tags"])
            audit.write(
                user_id=legacy_user_id(request.user),
                action=audit.UPDATE,
                entity="ticket",
                entity_id=ticket.pk,
                details=data["subject"],
            )
            return redirect("ticket-detail", ticket.pk)
    else:
        form = TicketForm(
            current_assignee_id=ticket.assignee_id,
            initial={
                "subject": ticket.subject,
                "body": ticket.body,
                "status": ticket.status_id,
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
                "tags": ", ".join(tags_by_ticket([ticket.pk]).get(ticket.pk, [])),
            },
        )
    return render(request, "helpdesk/ticket_form.html", {"form": form, "ticket": ticket})


def _legacy_ticket_id(request):
    try:
        return int(request.GET["id"])
    except (KeyError, ValueError):
        raise Http404("No ticket id")


# The legacy URLs redirect temporarily, never permanently: a user can be moved
# back to PHP at any time, and a browser that cached a 301 would keep sending
# them to Django's URLs, which PHP does not serve.
@require_GET
def legacy_index(request):
    url = reverse("ticket-list")
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url)


@require_GET
def legacy_ticket(request):
    return redirect("ticket-detail", _legacy_ticket_id(request))


@require_GET
def legacy_ticket_edit(request):
    # Without an id, the PHP page creates a ticket.
    if "id" not in request.GET:
        return redirect("ticket-create")
    return redirect("ticket-edit", _legacy_ticket_id(request))


@require_GET
def legacy_login(request):
    return redirect("login")
