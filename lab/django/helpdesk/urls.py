from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView
from django_takeover.djangoapp.views import healthz

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ticket-list"), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:ticket_id>/edit/", views.ticket_edit, name="ticket-edit"),
    path("healthz", healthz, name="healthz"),
    # Bookmarks from the PHP app keep working for users moved to Django.
    path("index.php", views.legacy_index),
    path("ticket.php", views.legacy_ticket),
    path("ticket_edit.php", views.legacy_ticket_edit),
    path("login.php", views.legacy_login),
]
