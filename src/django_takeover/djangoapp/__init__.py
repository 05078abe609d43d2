"""
django_takeover.djangoapp: the Django side of a takeover, as a reusable app.

Add ``"django_takeover.djangoapp"`` to ``INSTALLED_APPS`` (app label
``takeover``). It needs Django >= 5.2 and nothing else of django-takeover at
run time; argon2 hashes need the ``argon2`` extra (``argon2-cffi``).

Modules:

- ``conf``       the ``TAKEOVER_*`` settings and their defaults
- ``passwords``  PHP ``password_hash`` verification (bcrypt, argon2i/id)
- ``auth``       ``LegacyUserBackend``: sign-in against the legacy users table,
                 shadow ``auth.User`` linked by legacy primary key
- ``models``     ``LegacyLink`` (in Django's own schema, never the legacy one)
- ``checks``     system checks for misconfiguration (``takeover.E0xx``)
- ``views``      ``healthz`` for the deploy's health-gated switch

The cut-over pieces (identity-cookie middleware, switch link/banner template
tag, HTTP 500 alert logging handler) belong here too, as ``middleware``,
``templatetags/takeover.py`` and ``log``; they are added by the cut-over work.

Documentation: docs/django-app.md in the django-takeover repository.
"""
