"""Real legacy schemas (../shared/acceptance): generate, audit and prove run, and every table is accounted for.

The schemas are upstream files under their own licences; they are read in
place and never copied into this repository.
"""

import json
import subprocess
from pathlib import Path

import pytest

from django_takeover.cli import main
from django_takeover.generate import generate
from django_takeover.prove import prove

ACCEPTANCE = Path(__file__).resolve().parents[3] / "shared/acceptance/schemas"
SCHEMAS = sorted(ACCEPTANCE.glob("*.sql")) if ACCEPTANCE.is_dir() else []


@pytest.mark.skipif(not SCHEMAS, reason=f"acceptance schemas not found in {ACCEPTANCE} (they live outside the repo)")
@pytest.mark.parametrize("sql_file", SCHEMAS, ids=lambda p: p.stem)
def test_real_schema_every_table_proved_or_blocked(pg_cluster, sql_file, tmp_path, capsys):
    dsn = pg_cluster.create_database()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(sql_file)],
                   check=True, capture_output=True)
    result = generate(dsn, "public", "legacy")
    models = tmp_path / "models.py"
    models.write_text(result.models_source)
    report = prove(dsn, models, "legacy")
    audit = result.audit
    blockers = {f["table"] for f in audit["findings"] if f["severity"] == "blocker"}

    exact, fixed, blocked, failing = [], [], [], []
    for table, info in audit["tables"].items():
        r = report.results.get(table)
        if info["status"] == "keep-unmanaged":
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
    with capsys.disabled():
        print(f"\n[acceptance] {sql_file.stem}: {len(audit['tables'])} tables: {len(exact)} exact, "
              f"{len(fixed)} fixed up, {len(blocked)} blocked")
