"""Real legacy schemas (the acceptance schemas): generate, audit and prove run, and every table is accounted for.

The schemas are upstream files under their own licences; they are read in
place and never copied into this repository. They are looked for in
$TAKEOVER_ACCEPTANCE_SCHEMAS, else in shared/acceptance/schemas beside the
checkout. Without them the tests skip with a reason shown in the summary;
under CI=true they fail instead, so CI can never pass by not looking.
"""

import json
from collections import Counter
import subprocess


from django_takeover.cli import main
from django_takeover.generate import generate
from django_takeover.prove import prove


def test_acceptance_schemas_are_present(acceptance_schemas):
    """Says loudly when the schemas are absent: a skip reason locally, a failure in CI."""
    assert acceptance_schemas


def test_real_schema_every_table_proved_or_blocked(pg_cluster, acceptance_sql, tmp_path, capsys):
    sql_file = acceptance_sql
    dsn = pg_cluster.create_database()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(sql_file)],
                   check=True, capture_output=True)
    result = generate(dsn, "public", "legacy", fields_py=True)
    models = tmp_path / "models.py"
    models.write_text(result.models_source)
    if result.fields_source:
        (tmp_path / "fields.py").write_text(result.fields_source)
    report = prove(dsn, models, "legacy")
    audit = result.audit
    blockers = {f["table"] for f in audit["findings"] if f["severity"] == "blocker"}

    unique_key = {f["table"] for f in audit["findings"] if f["code"] == "unique-as-primary-key"}
    exact, fixed, blocked, keyed, failing = [], [], [], [], []
    for table, info in audit["tables"].items():
        r = report.results.get(table)
        if info["status"] == "keep-unmanaged" and table in unique_key and table not in blockers:
            # No primary key, a UNIQUE NOT NULL set as the model's key: unmanaged, yet proved exact.
            if r is not None and r.status == "exact" and r.accepted:
                keyed.append(table)
            else:
                failing.append((table, r.differences if r else "not proved"))
        elif info["status"] == "keep-unmanaged":
            assert table in blockers, f"{table} kept unmanaged without a blocker that says why"
            blocked.append(table)
        elif r is not None and r.status == "exact":
            (fixed if info["fixups"] else exact).append(table)
        else:
            failing.append((table, r.differences if r else "not proved"))
    assert not failing, failing
    assert report.ok, report.render()

    # The CLI agrees with the API on the same inputs.
    rc = main(["prove", "--dsn", dsn, "--models", str(models), "--app-label", "legacy",
               "--json", str(tmp_path / "prove.json")])
    assert rc == 0
    assert json.loads((tmp_path / "prove.json").read_text())["ok"] is True
    capsys.readouterr()
    reasons = Counter(r.split(" ")[0] if r.startswith(("check", "index", "default")) else r
                      for t in blocked for r in audit["tables"][t]["keep_unmanaged_reasons"][:1])
    with capsys.disabled():
        print(f"\n[acceptance] {sql_file.stem}: {len(audit['tables'])} tables: {len(exact)} exact, "
              f"{len(fixed)} fixed up, {len(keyed)} unique key as primary key, {len(blocked)} blocked {dict(sorted(reasons.items()))}, "
              f"false differences: 0")
