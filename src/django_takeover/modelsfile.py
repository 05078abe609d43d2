"""Read and rewrite a generated models.py without importing it.

Importing would need configured Django settings (see djangorun for why we never
configure them in-process), so the file is read with ``ast`` instead. The
retirement step and ``prove`` both use this: it knows the machine-readable
``# takeover: keep-unmanaged (reason)`` marker that generate writes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

KEEP_UNMANAGED_RE = re.compile(r"^# takeover: keep-unmanaged \((?P<reason>.*)\)\s*$")


@dataclass
class ModelInfo:
    class_name: str
    db_table: str | None
    managed: bool | None
    keep_unmanaged: str | None   # the reason, when the marker sits right above the class
    managed_line: int | None     # 1-based line of `managed = ...` in Meta


def read_models(source: str) -> list[ModelInfo]:
    tree = ast.parse(source)
    lines = source.splitlines()
    models = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        above = lines[first - 2] if first >= 2 else ""
        m = KEEP_UNMANAGED_RE.match(above)
        db_table = managed = managed_line = None
        for item in node.body:
            if isinstance(item, ast.ClassDef) and item.name == "Meta":
                for stmt in item.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                            and isinstance(stmt.targets[0], ast.Name):
                        key = stmt.targets[0].id
                        if key == "db_table":
                            db_table = ast.literal_eval(stmt.value)
                        elif key == "managed":
                            managed = ast.literal_eval(stmt.value)
                            managed_line = stmt.lineno
        models.append(ModelInfo(node.name, db_table, managed, m.group("reason") if m else None, managed_line))
    return models


def flip_managed(source: str) -> str:
    """Set ``managed = True`` on every model not marked keep-unmanaged."""
    lines = source.splitlines(keepends=True)
    for info in read_models(source):
        if info.keep_unmanaged is None and info.managed_line is not None and info.managed is False:
            idx = info.managed_line - 1
            lines[idx] = re.sub(r"managed\s*=\s*False", "managed = True", lines[idx], count=1)
    return "".join(lines)
