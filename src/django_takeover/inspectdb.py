"""Parse inspectdb's output into editable model sources.

inspectdb is only a first draft. Its output is parsed (with ``ast``, not
regexes) for what it gets right: class names, attribute names, renamed
columns, field classes and foreign-key targets. Everything else is re-derived
from the catalog by ``fixups``.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

REL_FIELDS = {"ForeignKey", "OneToOneField"}


@dataclass
class FieldSrc:
    attr: str
    ftype: str
    args: list[str]
    kwargs: dict[str, str]
    notes: list[str]
    column: str | None = None
    local: bool = False          # a class from the generated fields.py, not models.*
    db_type: str | None = None   # the live type a local field class creates

    @property
    def is_rel(self):
        return self.ftype in REL_FIELDS

    def render(self) -> str:
        parts = self.args + [f"{k}={v}" for k, v in self.kwargs.items()]
        line = f"    {self.attr} = {'' if self.local else 'models.'}{self.ftype}({', '.join(parts)})"
        if self.notes:
            line += "  # " + " ".join(self.notes)
        return line


@dataclass
class ModelSrc:
    name: str
    db_table: str
    fields: list[FieldSrc]
    meta: dict[str, str]
    constraints: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    keep_reasons: list[str] = field(default_factory=list)
    fixups: list[str] = field(default_factory=list)
    unique_pk: list[str] | None = None   # columns of the UNIQUE NOT NULL set declared as key (no PK in the database)

    def by_column(self, column: str) -> FieldSrc | None:
        return next((f for f in self.fields if f.column == column), None)




class _Segments:
    """ast.get_source_segment re-splits the whole file on every call (quadratic on 1,000 tables)."""

    def __init__(self, source: str):
        self.lines = [ln.encode() for ln in source.splitlines(keepends=True)]

    def __call__(self, node) -> str:
        a, b = node.lineno - 1, node.end_lineno - 1
        if a == b:
            return self.lines[a][node.col_offset:node.end_col_offset].decode()
        parts = [self.lines[a][node.col_offset:], *self.lines[a + 1:b], self.lines[b][:node.end_col_offset]]
        return b"".join(parts).decode()


def parse_inspectdb(source: str) -> tuple[list[ModelSrc], list[str]]:
    seg = _Segments(source)
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string[1:].strip()
    unable = re.findall(r"^# Unable to inspect table '(.+)'$", source, flags=re.M)
    models = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields, meta = [], {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                func = seg(item.value.func)
                fields.append(FieldSrc(
                    attr=item.targets[0].id,
                    ftype=func.split(".")[-1],
                    args=[seg(a) for a in item.value.args],
                    kwargs={k.arg: seg(k.value) for k in item.value.keywords},
                    notes=[comments[item.lineno]] if item.lineno in comments else []))
            elif isinstance(item, ast.ClassDef) and item.name == "Meta":
                for stmt in item.body:
                    if isinstance(stmt, ast.Assign):
                        meta[stmt.targets[0].id] = seg(stmt.value)
        db_table = ast.literal_eval(meta["db_table"])
        for f in fields:
            if f.ftype == "CompositePrimaryKey":
                continue
            if "db_column" in f.kwargs:
                f.column = ast.literal_eval(f.kwargs["db_column"])
            else:
                f.column = f.attr + ("_id" if f.is_rel else "")
        models.append(ModelSrc(node.name, db_table, fields, meta))
    return models, unable

