import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from .models import Tags, TicketStatuses, Users

PRIORITY_CHOICES = [(n, str(n)) for n in range(1, 6)]
TAG_MAX_LENGTH = Tags._meta.get_field("name").max_length


# PHP's strtolower() lowers ASCII letters only; str.lower() would lower all.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def parse_tags(text):
    """
    Tag names as the PHP app parses them, so both apps file the same text
    under the same tags: split on commas, runs of whitespace become one
    space, trimmed, ASCII letters lowered, empty names and repeats dropped.
    """
    names = []
    for part in (text or "").split(","):
        name = re.sub(r"\s+", " ", part).strip().translate(ASCII_LOWER)
        if name and name not in names:
            names.append(name)
    return names


class LegacyAuthenticationForm(AuthenticationForm):
    # Django's UsernameField applies NFKC normalisation, which PHP does not:
    # a username it changes would never match lower(username) in the table.
    username = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True}))


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False)
    status = forms.ChoiceField()
    priority = forms.TypedChoiceField(choices=PRIORITY_CHOICES, coerce=int, initial=3)
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Comma separated; new tags are created.",
    )

    def __init__(self, *args, current_assignee_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are read per request: PHP can add statuses and users at any time.
        self.fields["status"].choices = list(
            TicketStatuses.objects.order_by("sort_order", "code").values_list("code", "label")
        )
        # Active users, plus whoever is assigned now even if deactivated, so
        # saving an unrelated change does not silently unassign the ticket.
        users = Users.objects.filter(is_active=True)
        if current_assignee_id is not None:
            users = users | Users.objects.filter(pk=current_assignee_id)
        self.fields["assignee"].choices = [("", "(nobody)")] + [
            (u.pk, u.full_name or u.username) for u in users.order_by("username")
        ]

    def clean_tags(self):
        names = parse_tags(self.cleaned_data["tags"])
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                "Tags can be at most %(max)d characters: %(names)s",
                params={"max": TAG_MAX_LENGTH, "names": ", ".join(too_long)},
            )
        return names


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Add a comment")

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError("A comment cannot be empty.")
        return body
