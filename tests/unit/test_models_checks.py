"""Each CHECK translation, proved exactly: Django's constraint must deparse to the live one."""

import pytest

from django_takeover.generate import generate
from django_takeover.prove import prove

CHECKS = {
    "ne_text": "color_id <> ''",
    "gt_numeric": "weight > 0",
    "gt_numeric_frac": "weight >= 0.5",
    "lt_int": "qty < 1000",
    "neg_int": "qty > -5",
    "eq_bool": "flag = true",
    "bare_bool": "flag",
    "not_bool": "NOT archived",
    "le_float": "ratio <= 1.5",
    "ge_date": "born >= '1900-01-01'",
    "le_cols": "low <= high",
    "ne_int": "qty <> 13",
    "null_or": "note IS NULL OR note <> ''",
    "not_null": "low IS NOT NULL",
    "in_text": "color_id IN ('red', 'green')",
    "in_int": "qty IN (1, 2, 3)",
    "len": "length(color_id) <= 20",
    "charlen": "char_length(note) > 0",
    "lower_eq": "lower(color_id) = color_id",
    "upper_ne": "upper(code) <> 'X'",
    "between": "qty BETWEEN 0 AND 100",
    "and_or": "(qty > 0 AND weight > 0) OR flag",
    "not_and": "NOT (low > 10 AND high < 5)",
    "text_eq": "note = 'it''s'",
    "bpchar_ne": "code <> ''",
}


def test_every_supported_check_is_translated_and_proved_exact(pg_cluster, tmp_path):
    cols = ("id serial PRIMARY KEY, color_id varchar(20) NOT NULL DEFAULT '', weight numeric(8,2), "
            "qty integer, flag boolean NOT NULL DEFAULT false, archived boolean NOT NULL DEFAULT false, "
            "ratio double precision, born date, low integer, high integer, note text, code varchar(3)")
    checks = ", ".join(f"CONSTRAINT c_{name} CHECK ({expr})" for name, expr in CHECKS.items())
    dsn = pg_cluster.create_database(sql=f"CREATE TABLE t ({cols}, {checks})")
    r = generate(dsn, "public", "app", fields_py=True)
    blockers = [f for f in r.audit["findings"] if f["severity"] == "blocker"]
    assert not blockers, blockers
    (tmp_path / "models.py").write_text(r.models_source)
    if r.fields_source:
        (tmp_path / "fields.py").write_text(r.fields_source)
    report = prove(dsn, tmp_path / "models.py", "app")
    assert report.ok, report.render()
    assert report.by_status("exact") == ["t"]


@pytest.mark.parametrize("expr", ["substr(note, 1, 1) = 'a'", "qty NOT IN (1, 2)", "coalesce(qty, 0) > 0",
                                  "note ~ '^a'"])
def test_checks_django_cannot_express_block_the_table(pg_cluster, expr):
    dsn = pg_cluster.create_database(
        sql=f"CREATE TABLE t (id serial PRIMARY KEY, note text, qty int, CONSTRAINT c CHECK ({expr}))")
    r = generate(dsn, "public", "app", fields_py=True)
    [f] = [f for f in r.audit["findings"] if f["code"] == "check-not-expressible"]
    assert f["severity"] == "blocker" and "c:" in f["problem"]
