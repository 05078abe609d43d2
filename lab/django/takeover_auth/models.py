# LegacyLink moved to the reusable app (django_takeover.djangoapp, label
# "takeover"); migration 0002 copies the links there. No models are left.
