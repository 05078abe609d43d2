"""Step 1 on the lab: models generated from each live database match the
sample Django app's committed models, and a re-run changes nothing."""

import json
import shutil
from pathlib import Path

import pytest

from . import lab

pytestmark = pytest.mark.integration

COMMITTED_MODELS = lab.REPO / "lab" / "django" / "helpdesk" / "models.py"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    run = lab.run_playbook("generate-models.yml",
                           extravars={"takeover_models_output_dir": f"{out}/{{{{ takeover_env }}}}"})
    assert run.rc == 0, run.stdout[-3000:]
    yield out, run
    shutil.rmtree(out, ignore_errors=True)


@pytest.mark.parametrize("env", lab.ENVS)
def test_generated_models_match_the_committed_app(generated, env):
    out, _ = generated
    assert (out / env / "models.py").read_text() == COMMITTED_MODELS.read_text()


@pytest.mark.parametrize("env", lab.ENVS)
def test_audit_names_the_keyless_table_as_a_blocker(generated, env):
    out, _ = generated
    findings = json.loads((out / env / "audit.json").read_text())["findings"]
    keyless = [f for f in findings if f["table"] == "audit_log" and f["code"] == "no-primary-key"]
    assert len(keyless) == 1, findings
    assert keyless[0]["severity"] == "blocker"
    # The Markdown report a person reads lists it among the blockers.
    report = (out / env / "audit.md").read_text()
    blockers = report.split("## Blocker findings", 1)[1].split("\n## ", 1)[0]
    assert "| `audit_log` |" in blockers


@pytest.mark.parametrize("env", lab.ENVS)
def test_models_are_proved_against_each_live_database(generated, env):
    out, run = generated
    assert "models and database agree" in run.stdout
    proof = json.loads((out / env / "proof.json").read_text())
    assert proof["ok"] is True
    statuses = {table: result["status"] for table, result in proof["tables"].items()}
    assert statuses.pop("audit_log") == "blocked"
    assert set(statuses.values()) == {"exact"}, statuses


def test_second_generation_changes_nothing(generated):
    out, _ = generated
    run = lab.run_playbook("generate-models.yml",
                           extravars={"takeover_models_output_dir": f"{out}/{{{{ takeover_env }}}}"})
    assert run.rc == 0, run.stdout[-3000:]
    assert run.changed_hosts() == {}, run.stdout[-3000:]
