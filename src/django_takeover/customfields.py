"""Small field classes for column types Django has no field for, written into the app's fields.py.

Each class only changes ``db_type()`` (so Django creates, and prove finds, the
live type) and, where the Python value differs, the conversion. They are
generated into ``fields.py`` beside ``models.py`` so the user's app depends on
nothing but Django at run time.

- ``character(n)``: ``FixedCharField`` (blank-padded like the database; the
  value is returned as stored, padding included, exactly what the PHP app reads);
- ``real``: ``RealField`` (a FloatField stored as 4-byte float);
- ``timestamp without time zone``: ``NaiveDateTimeField``: reads the naive
  wall-clock value as stored; an aware datetime is written as wall-clock time
  in ``settings.TIME_ZONE`` (set it to the zone the PHP app writes in), a
  naive one as given. With ``USE_TZ = True`` Django itself would instead write
  UTC and warn on every naive value;
- a domain over ``varchar``/``text``/integer types: one class per domain whose
  ``db_type()`` is the domain, so its behaviour (e.g. phpBB's case-insensitive
  ``varchar_ci``) stays with the column.
"""

from __future__ import annotations

import re

from .catalog import Column

FIXED_CHAR = '''
class FixedCharField(models.CharField):
    """character(n): blank-padded fixed length; values are returned as stored."""

    def db_type(self, connection):
        return f"char({self.max_length})"
'''

REAL = '''
class RealField(models.FloatField):
    """real: a 4-byte float (Django's FloatField is double precision)."""

    def db_type(self, connection):
        return "real"
'''

NAIVE_DATETIME = '''
class NaiveDateTimeField(models.DateTimeField):
    """timestamp without time zone: wall-clock values, as the legacy app stores them.

    Reads return the naive value as stored. An aware datetime is converted to
    settings.TIME_ZONE and stored without zone; a naive one is stored as given.
    """

    def db_type(self, connection):
        return "timestamp"

    def get_prep_value(self, value):
        value = self.to_python(models.Field.get_prep_value(self, value))
        if value is not None and timezone.is_aware(value):
            value = timezone.make_naive(value, timezone.get_default_timezone())
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        return value if prepared else self.get_prep_value(value)

    def from_db_value(self, value, expression, connection):
        return value
'''

DOMAIN_BASES = {"text": "TextField", "integer": "IntegerField", "bigint": "BigIntegerField",
                "smallint": "SmallIntegerField"}


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", name) if p)


def custom_field(col: Column) -> tuple[str, str, str, dict[str, str]] | None:
    """(class name, source, live type it creates, kwargs to set) for a column Django has no field for."""
    m = re.fullmatch(r"character\((\d+)\)", col.type)
    if m and not col.is_array:
        return "FixedCharField", FIXED_CHAR, col.type, {"max_length": m.group(1)}
    if col.type == "real":
        return "RealField", REAL, col.type, {}
    if col.type == "timestamp without time zone":
        return "NaiveDateTimeField", NAIVE_DATETIME, col.type, {}
    if col.typtype == "d" and col.base_type:
        base, kwargs = None, {}
        vm = re.fullmatch(r"character varying\((\d+)\)", col.base_type)
        if vm:
            base, kwargs = "CharField", {"max_length": vm.group(1)}
        else:
            base = DOMAIN_BASES.get(col.base_type)
        if base is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\"]*", col.type):
            return None
        name = _camel(col.type.replace('"', "").split(".")[-1]) + "Field"
        src = (f'\nclass {name}(models.{base}):\n'
               f'    """Domain {col.type} over {col.base_type}: the column keeps the domain and its behaviour."""\n\n'
               f'    def db_type(self, connection):\n        return {col.type!r}\n')
        return name, src, col.type, kwargs
    return None
