"""
Legacy password hashes: what PHP's password_hash() writes, and Django's own.

Verification is delegated to the libraries PHP's formats were made for:
``bcrypt`` for ``$2y$``/``$2b$``/``$2a$`` and ``argon2-cffi`` for
``$argon2i$``/``$argon2id$`` (PHP >= 7.2's PASSWORD_ARGON2I/ARGON2ID write the
reference encoding argon2-cffi reads as is). Django-format hashes (written by
the "on-login" rehash after retirement) go to django.contrib.auth.hashers.

Everything else is refused, and logged with what to do about it: guessing at a
scheme fails open, and unsalted MD5/SHA1 digests must not be accepted at all.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter

from django.contrib.auth import hashers

try:
    import bcrypt
except ImportError:  # the "bcrypt" extra; checks.py warns when it is missing
    bcrypt = None

try:
    import argon2
    import argon2.exceptions
except ImportError:  # the "argon2" extra
    argon2 = None

logger = logging.getLogger("django_takeover.auth")

BCRYPT = "bcrypt"
ARGON2 = "argon2"
DJANGO = "django"
MD5_HEX = "md5-hex"
SHA1_HEX = "sha1-hex"
EMPTY = "empty"
UNKNOWN = "unknown"

BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
ARGON2_PREFIXES = ("$argon2i$", "$argon2id$")
# PHP's bcrypt uses only the first 72 bytes of a password and ignores the
# rest; bcrypt>=5 raises instead, so cut the same way PHP does.
BCRYPT_MAX_BYTES = 72
# Bare hex digests, optionally behind a label some apps add ("SHA1:...").
_HEX_DIGEST = re.compile(r"^(?:[A-Za-z0-9]+:)?([0-9a-fA-F]{32}|[0-9a-fA-F]{40})$")

MIGRATION_ADVICE = {
    MD5_HEX: (
        "unsalted MD5 hex digests cannot be verified safely. While PHP lives, let PHP "
        "upgrade them at login (when md5($password) matches, store password_hash($password)), "
        "then reset the passwords of users who never log in."
    ),
    SHA1_HEX: (
        "unsalted SHA1 hex digests cannot be verified safely. While PHP lives, let PHP "
        "upgrade them at login (when sha1($password) matches, store password_hash($password)), "
        "then reset the passwords of users who never log in."
    ),
    EMPTY: "the user has no password hash; set one in the PHP app.",
    UNKNOWN: (
        "this scheme is not one of PHP password_hash()'s (bcrypt, argon2i, argon2id); "
        "let PHP upgrade it to password_hash() at login, or reset the password."
    ),
}


def identify(encoded: str | None) -> str:
    """The scheme of a stored hash."""
    if not encoded:
        return EMPTY
    if encoded.startswith(BCRYPT_PREFIXES):
        return BCRYPT
    if encoded.startswith(ARGON2_PREFIXES):
        return ARGON2
    match = _HEX_DIGEST.match(encoded)
    if match:
        return MD5_HEX if len(match.group(1)) == 32 else SHA1_HEX
    try:
        hashers.identify_hasher(encoded)
    except ValueError:
        return UNKNOWN
    return DJANGO


def check(password: str | None, encoded: str | None, *, who: object = None) -> bool:
    """
    True if ``password`` matches ``encoded``. Refusals for an unsupported or
    malformed hash are logged (``who`` names the user in the message).
    """
    if password is None:
        return False
    scheme = identify(encoded)
    if scheme == BCRYPT:
        if bcrypt is None:
            _refuse(who, scheme, "bcrypt is not installed (pip install 'django-takeover[bcrypt]').")
            return False
        try:
            return bcrypt.checkpw(password.encode("utf-8")[:BCRYPT_MAX_BYTES], encoded.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            _refuse(who, scheme, "the bcrypt hash is malformed.")
            return False
    if scheme == ARGON2:
        if argon2 is None:
            _refuse(who, scheme, "argon2-cffi is not installed (pip install 'django-takeover[argon2]').")
            return False
        try:
            return argon2.PasswordHasher().verify(encoded, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            _refuse(who, scheme, "the argon2 hash is malformed.")
            return False
    if scheme == DJANGO:
        return hashers.check_password(password, encoded)
    _refuse(who, scheme, MIGRATION_ADVICE[scheme])
    return False


def needs_rehash(encoded: str) -> bool:
    """True unless ``encoded`` is already what Django's preferred hasher writes today."""
    if identify(encoded) != DJANGO:
        return True
    hasher = hashers.identify_hasher(encoded)
    preferred = hashers.get_hasher("default")
    return hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)


def _refuse(who, scheme, advice):
    logger.warning("Legacy sign-in refused for %s: password hash scheme %r: %s",
                   who if who is not None else "a user", scheme, advice)


# -- timing equaliser ---------------------------------------------------------

def cost_signature(encoded: str | None):
    """What a hash's verification costs, as a hashable value (None if unknown)."""
    scheme = identify(encoded)
    if scheme == BCRYPT:
        try:
            return (BCRYPT, int(encoded[4:6]))
        except ValueError:
            return None
    if scheme == ARGON2 and argon2 is not None:
        try:
            p = argon2.extract_parameters(encoded)
        except argon2.exceptions.InvalidHashError:
            return None
        return (ARGON2, p.type, p.time_cost, p.memory_cost, p.parallelism)
    if scheme == DJANGO:
        return (DJANGO,)
    return None


def make_dummy(signature) -> str:
    """A hash of a throwaway password with the given cost signature."""
    if signature and signature[0] == BCRYPT and bcrypt is not None:
        return bcrypt.hashpw(b"takeover timing equaliser", bcrypt.gensalt(rounds=signature[1])).decode()
    if signature and signature[0] == ARGON2 and argon2 is not None:
        _, type_, time_cost, memory_cost, parallelism = signature
        return argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                     parallelism=parallelism, type=type_).hash("takeover timing equaliser")
    return hashers.make_password("takeover timing equaliser")


class DummyHash:
    """
    The hash checked when no legacy user matches, so a miss costs as long as
    a hit and response times do not tell which usernames exist.

    Its cost follows the real hashes': the most common cost among a sample of
    the newest rows (the cost PHP writes today), refreshed every ``ttl``
    seconds, so raising PHP's cost raises the dummy's too.
    """

    SAMPLE = 50

    def __init__(self, ttl: float = 600.0):
        self.ttl = ttl
        self._value = None
        self._signature = None
        self._expires = 0.0

    def get(self, sample_hashes) -> str:
        """sample_hashes: a callable returning recent stored hashes (called only on refresh)."""
        now = time.monotonic()
        if self._value is None or now >= self._expires:
            counts = Counter(s for s in map(cost_signature, sample_hashes(self.SAMPLE)) if s)
            signature = counts.most_common(1)[0][0] if counts else None
            if self._value is None or signature != self._signature:
                self._value = make_dummy(signature)
                self._signature = signature
            self._expires = now + self.ttl
        return self._value

    def reset(self):
        self._value = None
