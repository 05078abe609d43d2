"""Real legacy schemas (the acceptance schemas): generate, audit and prove run, and every table is accounted for.

The schemas are upstream files under their own licences; they are read in
place and never copied into this repository. They are looked for in
$TAKEOVER_ACCEPTANCE_SCHEMAS, else in shared/acceptance/schemas beside the
checkout. Without them the tests skip with a reason shown in the summary;
under CI=true they fail instead, so CI can never pass by not looking.
"""

import json
import os
from collections import Counter
import subprocess
from pathlib import Path

import pytest

from django_takeover.cli import main
from django_takeover.generate import generate
from django_takeover.prove import prove

ACCEPTANCE = Path(os.environ.get("TAKEOVER_ACCEPTANCE_SCHEMAS")
                  or Path(__file__).resolve().parents[3].joinpath("shared", "acceptance", "schemas"))
SCHEMAS = sorted(ACCEPTANCE.glob("*.sql")) if ACCEPTANCE.is_dir() else []
MISSING = f"acceptance schemas not found in {ACCEPTANCE} (set TAKEOVER_ACCEPTANCE_SCHEMAS)"


def test_acceptance_schemas_are_present():
    """Says loudly when the schemas are absent: a skip reason locally, a failure in CI."""
    if SCHEMAS:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@pytest.mark.skipif(not SCHEMAS, reason=MISSING)
@pytest.mark.parametrize("sql_file", SCHEMAS, ids=lambda p: p.stem)
def test_real_schema_every_table_proved_or_blocked(pg_cluster, sql_file, tmp_path, capsys):
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
