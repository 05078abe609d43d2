"""exprs: PostgreSQL's deparsed CHECK / index expressions to Django source, tested directly.

The inputs are written the way pg_get_constraintdef / pg_get_expr / pg_get_indexdef
print them (casts included); PostgreSQL's own parser (pglast) reads them. Whether
Django then creates the same constraint is proved against a real server in
test_models_checks.py; here each mapping rule and each refusal is pinned down
on its own.
"""

import pytest

from django_takeover import exprs

COLUMNS = {
    "status": ("status", "character varying(10)"),
    "score": ("score", "integer"),
    "price": ("price", "numeric(8,2)"),
    "active": ("active", "boolean", True),
    "low": ("low", "integer"),
    "high": ("high", "integer"),
    "owner_id": ("owner_id", "integer"),
    "name": ("name", "text"),
    "class": ("klass", "integer"),
    "created": ("created", "date"),
}


def q(text):
    uses = set()
    return exprs.to_q(text, COLUMNS, uses), uses


@pytest.mark.parametrize("text, expected", [
    ("(score >= 0)", "Q(score__gte=0)"),
    ("((score >= 0) AND (score <= 100))", "Q(score__gte=0) & Q(score__lte=100)"),
    ("((score < 0) OR (score > 100))", "Q(score__lt=0) | Q(score__gt=100)"),
    ("(score = 3)", "Q(score=3)"),
    ("(0 < score)", "Q(score__gt=0)"),
    ("(low <= high)", "Q(low__lte=F('high'))"),
    ("(owner_id IS NOT NULL)", "Q(owner_id__isnull=False)"),
    ("(owner_id IS NULL)", "Q(owner_id__isnull=True)"),
    ("active", "Q(active=True)"),
    ("(NOT active)", "~Q(active=True)"),
    ("(price > 0.5)", "Q(price__gt=Decimal('0.5'))"),
    ("((status)::text = ANY ((ARRAY['open'::character varying, 'closed'::character varying])::text[]))",
     "Q(status__in=['open', 'closed'])"),
    ("((status)::text = 'it''s'::text)", "Q(status=\"it's\")"),
    ("(\"class\" > 0)", "Q(klass__gt=0)"),
    ("(score > '-1'::integer)", "Q(score__gt=-1)"),
    ("((status)::text <> ''::text)", "Q(NotEqual(F('status'), ''))"),
    ("(length(name) < 10)", "Q(LessThan(Length('name'), 10))"),
    ("(char_length((status)::text) >= 2)", "Q(GreaterThanOrEqual(CharLength('status'), 2))"),
    ("(lower((status)::text) = 'x'::text)", "Q(Exact(Lower('status'), 'x'))"),
    ("(upper(name) <> name)", "Q(NotEqual(Upper('name'), F('name')))"),
    ("(created > '2020-01-01'::date)", "Q(created__gt=datetime.date(2020, 1, 1))"),
    ("((NOT active) OR (score IS NULL))", "~Q(active=True) | Q(score__isnull=True)"),
    # Under NOT, nullable columns get lookup expressions: Django adds IS NOT NULL to negated keyword lookups.
    ("(NOT ((low > 0) AND (high > 0)))", "~(Q(GreaterThan(F('low'), 0)) & Q(GreaterThan(F('high'), 0)))"),
    ("(NOT (status = ANY (ARRAY['a'::text])))", "~Q(In(F('status'), ['a']))"),
])
def test_to_q_translates(text, expected):
    src, uses = q(text)
    assert src == expected
    assert "Q" in uses


def test_to_q_records_imports():
    _, uses = q("((price > 0.5) AND (low <= high))")
    assert {"Q", "F", "Decimal"} <= uses


@pytest.mark.parametrize("text", [
    "(substr(name, 1, 2) = 'ab'::text)",   # a function the mapping does not know
    "(COALESCE(score, 0) > 0)",
    "(score <> ALL (ARRAY[1, 2]))",        # NOT IN: Django would write NOT (score IN (...))
    "(score + 1 > 0)",                     # arithmetic
    "(unknown_col > 0)",                   # not a column of the table
    "((score)::text = '1'::text)",         # a cast that changes meaning
    "(created > '2020-01-01 10:00:00'::timestamp without time zone)",
    "(length(score) > 1)",                 # length() of a non-text column
])
def test_to_q_refuses_rather_than_guesses(text):
    with pytest.raises(exprs.Untranslatable):
        q(text)


@pytest.mark.parametrize("key_def, expected, use", [
    ("lower((status)::text)", "Lower('status')", "Lower"),
    ("upper(name)", "Upper('name')", "Upper"),
])
def test_index_key(key_def, expected, use):
    uses = set()
    assert exprs.index_key(key_def, COLUMNS, uses) == expected
    assert use in uses


@pytest.mark.parametrize("key_def", ["COALESCE(score, '-1'::integer)", "lower(nope)", "(score + 1)"])
def test_index_key_refuses(key_def):
    with pytest.raises(exprs.Untranslatable):
        exprs.index_key(key_def, COLUMNS, set())
