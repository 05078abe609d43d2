"""Every role documents every variable it reads, with its real default.

`ansible-doc -t role` is how a user learns a role's options, so each option
in defaults/main.yml must appear in meta/argument_specs.yml with the same
default, and an option without a default must be marked required.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if (p / "meta").is_dir())


def _load(path: Path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_default_is_documented_with_its_value(role):
    defaults = _load(role / "defaults" / "main.yml")
    specs = _load(role / "meta" / "argument_specs.yml")["argument_specs"]
    documented = {name: option for entry in specs.values() for name, option in (entry.get("options") or {}).items()}
    missing = sorted(set(defaults) - set(documented))
    assert not missing, f"{role.name}: defaults without an argument spec: {missing}"
    for name, value in defaults.items():
        option = documented[name]
        if option.get("required"):
            continue
        assert "default" in option, f"{role.name}: {name} has no default: in its spec"
        if isinstance(value, str) and isinstance(option["default"], str) and "{{" not in value:
            assert str(option["default"]) == value, f"{role.name}: {name} spec default differs from defaults/main.yml"
        elif not isinstance(value, str) or "{{" not in value:
            assert option["default"] == value, f"{role.name}: {name} spec default differs from defaults/main.yml"
        if "choices" in option:
            assert value in option["choices"], f"{role.name}: {name} default is not one of its choices"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_option_has_a_default_or_is_required(role):
    specs = _load(role / "meta" / "argument_specs.yml")["argument_specs"]
    for entry_name, entry in specs.items():
        for name, option in (entry.get("options") or {}).items():
            assert option.get("required") or "default" in option, \
                f"{role.name} ({entry_name}): {name} is neither required nor given a default"
            assert option.get("description"), f"{role.name} ({entry_name}): {name} has no description"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_internal_variables_stay_out_of_defaults(role):
    defaults = _load(role / "defaults" / "main.yml")
    assert not [n for n in defaults if "__" in n], f"{role.name}: internal variables belong in vars/"
