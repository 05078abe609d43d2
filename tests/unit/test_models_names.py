"""generate --idiomatic-names: singular class names and role-based related_names, the database mapping unchanged."""

import ast
import re

import pytest

from django_takeover.cli import main
from django_takeover.fixups import role_participle, singular
from django_takeover.generate import generate
from django_takeover.prove import prove


@pytest.mark.parametrize("plural, expected", [
    ("Tickets", "Ticket"), ("TicketStatuses", "TicketStatus"), ("Categories", "Category"),
    ("Addresses", "Address"), ("Boxes", "Box"), ("Matches", "Match"), ("Courses", "Course"),
    ("People", "Person"), ("Caches", "Cache"), ("Aliases", "Alias"),
    # Not plural, too short to tell, or not a word: left as inspectdb wrote it.
    ("News", "News"), ("Status", "Status"), ("Analysis", "Analysis"), ("AuditLog", "AuditLog"),
    ("T0001", "T0001"), ("Gps", "Gps"),
])
def test_singular_class_names(plural, expected):
    assert singular(plural) == expected


@pytest.mark.parametrize("attr, expected", [
    ("reporter", "reported"), ("assignee", "assigned"), ("reporter_id", "reported"),
    ("created_by", "created"), ("assigned_to", "assigned"), ("sender", "sent"),
    # No role in the name: no guess ("customer" is not "customed").
    ("parent", None), ("user", None), ("customer", None), ("owner_group", None),
])
def test_role_participles(attr, expected):
    assert role_participle(attr) == expected


def classes(source: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{class name: (db_table, {attribute: db column or FK target, related_name})} from a models.py."""
    out = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        meta = next(n for n in node.body if isinstance(n, ast.ClassDef) and n.name == "Meta")
        table = next(ast.literal_eval(s.value) for s in meta.body if s.targets[0].id == "db_table")
        fields = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                kw = {k.arg: ast.unparse(k.value) for k in item.value.keywords}
                args = [ast.unparse(a).strip("'") for a in item.value.args]
                fields[item.targets[0].id] = (kw.get("db_column"), args[:1], kw.get("related_name"))
        out[node.name] = (table, fields)
    return out


def test_sample_schema_idiomatic_names_keep_the_mapping_and_prove_exact(legacy_dsn, tmp_path, capsys):
    plain = generate(legacy_dsn, "public", "helpdesk")
    nice = generate(legacy_dsn, "public", "helpdesk", idiomatic_names=True)
    assert generate(legacy_dsn, "public", "helpdesk", idiomatic_names=True).models_source == nice.models_source
    a, b = classes(plain.models_source), classes(nice.models_source)
    renames = {"Tickets": "Ticket", "Users": "User", "Comments": "Comment", "Tags": "Tag",
               "TicketStatuses": "TicketStatus", "TicketTags": "TicketTag", "AuditLog": "AuditLog"}
    assert set(a) == set(renames) and set(b) == set(renames.values())
    for old, new in renames.items():
        (table_a, fields_a), (table_b, fields_b) = a[old], b[new]
        assert table_a == table_b
        assert fields_a.keys() == fields_b.keys()
        for attr, (column, target, _) in fields_a.items():
            assert fields_b[attr][0] == column
            assert fields_b[attr][1] == [renames.get(t, t) for t in target]
    assert b["Ticket"][1]["reporter"][2] == "'tickets_reported'"
    assert b["Ticket"][1]["assignee"][2] == "'tickets_assigned'"
    assert a["Tickets"][1]["reporter"][2] == "'tickets_as_reporter'"     # the default is unchanged
    notes = nice.audit["tables"]["tickets"]["fixups"]
    assert "class Ticket (inspectdb: Tickets; db_table 'tickets' unchanged)" in notes
    assert "related_name tickets_reported" in notes
    (tmp_path / "models.py").write_text(nice.models_source)
    report = prove(legacy_dsn, tmp_path / "models.py", "helpdesk")
    assert report.ok and len(report.by_status("exact")) == 6
    # The CLI flag.
    out = tmp_path / "cli.py"
    assert main(["generate", "--dsn", legacy_dsn, "--app-label", "helpdesk", "--out-models", str(out),
                 "--no-fields-py", "--idiomatic-names"]) == 0
    assert out.read_text() == nice.models_source
    capsys.readouterr()


COLLIDING = """
    CREATE TABLE ticket (id serial PRIMARY KEY);
    CREATE TABLE tickets (id serial PRIMARY KEY);
    CREATE TABLE users (id serial PRIMARY KEY);
    CREATE TABLE invites (id serial PRIMARY KEY, inviter_id integer NOT NULL REFERENCES users (id),
                          invitee_id integer NOT NULL REFERENCES users (id),
                          created_by integer REFERENCES users (id));
"""


def test_renames_never_collide(pg_cluster, tmp_path):
    """`tickets` stays Tickets beside `ticket` (Ticket); inviter and invitee would both be 'invited': both
    fall back to the _as_ form; created_by is unambiguous."""
    dsn = pg_cluster.create_database(sql=COLLIDING)
    src = generate(dsn, "public", "app", idiomatic_names=True).models_source
    assert re.findall(r"^class (\w+)\(", src, re.M) == ["Invite", "Ticket", "Tickets", "User"]
    assert "related_name='invites_as_inviter'" in src and "related_name='invites_as_invitee'" in src
    assert "related_name='invites_created'" in src
    (tmp_path / "models.py").write_text(src)
    assert prove(dsn, tmp_path / "models.py", "app").ok


def test_acceptance_schemas_prove_the_same_with_idiomatic_names(pg_cluster, acceptance_sql, tmp_path):
    dsn = pg_cluster.create_database(sql_file=acceptance_sql)
    r = generate(dsn, "public", "legacy", fields_py=True, idiomatic_names=True)
    (tmp_path / "models.py").write_text(r.models_source)
    if r.fields_source:
        (tmp_path / "fields.py").write_text(r.fields_source)
    retirable = sorted(t for t, info in r.audit["tables"].items() if info["status"] == "retirable")
    report = prove(dsn, tmp_path / "models.py", "legacy")
    assert report.ok, report.render()
    assert report.by_status("exact") == retirable
    renamed = [t for t, info in r.audit["tables"].items() if any(f.startswith("class ") for f in info["fixups"])]
    assert len(renamed) >= 5
