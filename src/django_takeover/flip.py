"""The retirement flip: make every unmanaged model of a Django app managed, and change nothing else.

The files are edited through LibCST's concrete syntax tree, which keeps every
byte it is not asked to change (comments, blank lines, quotes, order), so a
hand-edited ``models.py`` or a ``models/`` package comes out as the team wrote
it, apart from the ``managed`` values.

Decisions (docs/retire-tools.md):
- ``managed = False`` (any falsy literal: False, 0, None; with or without
  spaces, a trailing comment, an annotation, other statements after ``;``)
  becomes ``managed = True``. The line is set, not removed: removing it could
  leave an empty ``class Meta:``, and in ``class Meta(Base.Meta)`` the model
  would inherit the base's False again; an explicit True is also what the
  deploy guard looks for.
- A model whose line directly above the class (above its decorators) is
  ``# takeover: keep-unmanaged (reason)`` is left as it is and reported.
- ``managed = False`` on an abstract base's Meta is set True on the base,
  which is what its concrete children inherit (Django copies an abstract
  base's Meta to a child without its own Meta, and ``class Meta(Base.Meta)``
  subclasses it). A keep-unmanaged child that inherited False is pinned with
  an explicit ``managed = False`` in its own Meta (added as
  ``class Meta(Base.Meta):`` when it has none), so it keeps its state.
- Bases are looked up by name among the app's own modules; a base defined
  outside the app is not read (said in the docs).
- A ``managed`` value that is not a literal (``managed = settings.X``) cannot
  be decided without running the project: that is an error, nothing written.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .catalog import CatalogError
from .modelsfile import KEEP_UNMANAGED_RE

FALSY = {"False": False, "0": False, "None": False, "True": True, "1": True}


@dataclass
class _Meta:
    node: cst.ClassDef
    bases: list[str]               # X of `class Meta(X.Meta)` (a model's Meta) or `X.` of `class Meta(X)`
    base_exprs: list[str]
    abstract: bool
    managed: bool | None           # None: not set in this Meta
    managed_node: cst.CSTNode | None
    managed_line: int | None


@dataclass
class _Model:
    name: str
    file: str                      # relative to the app directory
    line: int
    bases: list[str]               # last name of each base expression
    base_exprs: list[str]          # the base expressions as written
    keep: str | None               # the keep-unmanaged reason
    meta: _Meta | None
    node: cst.ClassDef = field(repr=False, default=None)
    as_meta: _Meta | None = None   # a plain class used as a Meta base: `class Meta(LegacyMeta)`


@dataclass
class FlipResult:
    app_dir: Path
    sources: dict[str, str]        # relative path -> original source
    flipped_sources: dict[str, str]
    flipped: list[dict]
    kept: list[dict]
    pinned: list[dict]

    @property
    def files_changed(self) -> list[str]:
        return sorted(p for p in self.sources if self.sources[p] != self.flipped_sources[p])

    @property
    def changed(self) -> bool:
        return bool(self.files_changed)

    def diff(self) -> str:
        prefix = self.app_dir.name
        out = []
        for rel in self.files_changed:
            out += difflib.unified_diff(self.sources[rel].splitlines(keepends=True),
                                        self.flipped_sources[rel].splitlines(keepends=True),
                                        f"a/{prefix}/{rel}", f"b/{prefix}/{rel}")
        return "".join(out)

    def as_dict(self) -> dict:
        return {"app_dir": str(self.app_dir), "changed": self.changed, "files_changed": self.files_changed,
                "flipped": self.flipped, "kept_unmanaged": self.kept, "pinned": self.pinned}

    def render(self) -> str:
        lines = [f"{'flipped' if self.changed else 'nothing to flip'}: {len(self.flipped)} models managed, "
                 f"{len(self.kept)} kept unmanaged, {len(self.files_changed)} files changed"]
        lines += [f"kept unmanaged: {k['model']} ({k['file']}:{k['line']}): {k['reason']}" for k in self.kept]
        return "\n".join(lines)


def model_files(app_dir: Path) -> list[str]:
    """models.py, or every module of the models/ package, relative to the app directory."""
    app_dir = Path(app_dir)
    if not app_dir.is_dir():
        raise CatalogError(f"app directory {app_dir} does not exist")
    files = []
    if (app_dir / "models.py").is_file():
        files.append("models.py")
    if (app_dir / "models").is_dir():
        files += sorted(str(p.relative_to(app_dir)) for p in (app_dir / "models").rglob("*.py")
                        if "__pycache__" not in p.parts)
    if not files:
        raise CatalogError(f"app directory {app_dir} has neither models.py nor a models/ package")
    return files


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _literal(module: cst.Module, value: cst.BaseExpression, where: str) -> bool:
    code = module.code_for_node(value).strip()
    if code not in FALSY:
        raise CatalogError(f"{where}: cannot decide `managed = {code}` without running the project; "
                           "write True or False there")
    return FALSY[code]


class _Collector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module, rel: str, lines: list[str], path: Path):
        self.module, self.rel, self.lines, self.path = module, rel, lines, path
        self.models: list[_Model] = []
        self.depth = 0          # classes and functions we are inside of

    def _line(self, node) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def visit_FunctionDef(self, node):
        self.depth += 1

    def leave_FunctionDef(self, node):
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef):
        if self.depth == 0:
            self.models.append(self._model(node))
        self.depth += 1

    def leave_ClassDef(self, node):
        self.depth -= 1

    def _model(self, node: cst.ClassDef) -> _Model:
        # The marker sits above the first decorator, when there are decorators.
        line = min([self._line(node), *(self._line(d) for d in node.decorators)])
        above = self.lines[line - 2] if line >= 2 else ""
        m = KEEP_UNMANAGED_RE.match(above)
        meta = None
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta":
                meta = self._meta(stmt)
        bases = [_last_name(a.value) for a in node.bases]
        # A plain class (no bases but object) can be a shared Meta: `class Meta(LegacyMeta)`. A model's
        # own body is not read as one (a field may well be called `managed`).
        as_meta = None
        if set(bases) <= {"object"}:
            try:
                as_meta = self._meta(node)
            except CatalogError:
                pass      # not decidable as a Meta: only an error if a model's Meta really inherits it
        return _Model(node.name.value, self.rel, line, bases, [self.module.code_for_node(a.value) for a in node.bases],
                      m.group("reason") if m else None, meta, node, as_meta)

    def _meta(self, node: cst.ClassDef) -> _Meta:
        bases, base_exprs = [], []
        for arg in node.bases:
            if isinstance(arg.value, cst.Attribute) and arg.value.attr.value == "Meta":
                bases.append(_last_name(arg.value.value))
                base_exprs.append(self.module.code_for_node(arg.value.value))
            elif _last_name(arg.value) not in (None, "object"):
                bases.append(_last_name(arg.value) + ".")
                base_exprs.append(self.module.code_for_node(arg.value))
        meta = _Meta(node, bases, base_exprs, False, None, None, None)
        if isinstance(node.body, cst.IndentedBlock):
            smalls = [s for line in node.body.body if isinstance(line, cst.SimpleStatementLine) for s in line.body]
        else:
            smalls = list(node.body.body)
        for small in smalls:
            target = value = None
            if isinstance(small, cst.Assign):
                names = [_last_name(t.target) if isinstance(t.target, cst.Name) else None for t in small.targets]
                if "managed" in names or "abstract" in names:
                    if len(names) != 1:
                        raise CatalogError(f"{self.path}:{self._line(small)}: chained assignment of Meta.managed "
                                           "or abstract is not supported; write one assignment per line")
                    target, value = names[0], small.value
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                target, value = small.target.value, small.value
            if target == "managed":
                meta.managed = _literal(self.module, value, f"{self.path}:{self._line(small)}")
                meta.managed_node, meta.managed_line = value, self._line(small)
            elif target == "abstract":
                meta.abstract = _literal(self.module, value, f"{self.path}:{self._line(small)}")
        return meta


class _Editor(cst.CSTTransformer):
    def __init__(self, set_true: set[int], pin: dict[int, str]):
        self.set_true, self.pin = set_true, pin    # ids of value nodes; id of model class -> base expr

    def leave_Name(self, original, updated):
        return updated.with_changes(value="True") if id(original) in self.set_true else updated

    def leave_Integer(self, original, updated):
        return cst.Name("True") if id(original) in self.set_true else updated

    def leave_ClassDef(self, original, updated):
        base = self.pin.get(id(original))
        if base is None:
            return updated
        meta = next((s for s in updated.body.body if isinstance(s, cst.ClassDef) and s.name.value == "Meta"), None)
        pin_line = cst.parse_statement("managed = False\n")
        if meta is None:
            # The child had no Meta and used the base's: subclass it, so every other option stays inherited.
            new_meta = cst.parse_statement(f"class Meta({base}.Meta):\n    managed = False\n")
            new_meta = new_meta.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
            return updated.with_changes(body=updated.body.with_changes(body=[*updated.body.body, new_meta]))
        if isinstance(meta.body, cst.IndentedBlock):
            new_body = meta.body.with_changes(body=[pin_line, *meta.body.body])
        else:
            new_body = meta.body.with_changes(body=[cst.Assign(
                targets=[cst.AssignTarget(cst.Name("managed"))], value=cst.Name("False"),
                semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))), *meta.body.body])
        new_meta = meta.with_changes(body=new_body)
        return updated.with_changes(body=updated.body.with_changes(
            body=[new_meta if s is meta else s for s in updated.body.body]))


def flip_app(app_dir: Path) -> FlipResult:
    """Parse every models module of the app and compute the flipped sources (nothing is written)."""
    app_dir = Path(app_dir)
    files = model_files(app_dir)
    sources, modules, models = {}, {}, []
    for rel in files:
        try:
            sources[rel] = (app_dir / rel).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"cannot read {app_dir / rel}: {exc}") from None
        try:
            module = cst.parse_module(sources[rel])
        except cst.ParserSyntaxError as exc:
            raise CatalogError(f"cannot parse {app_dir / rel}: {str(exc.message).splitlines()[0]}") from None
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        collector = _Collector(module, rel, sources[rel].splitlines(), app_dir / rel)
        wrapper.visit(collector)
        modules[rel] = module
        models += collector.models
    by_name: dict[str, _Model] = {}
    for m in models:
        by_name.setdefault(m.name, m)

    def meta_managed(meta: _Meta, seen: frozenset) -> tuple[bool, _Meta | None]:
        """(effective managed, the Meta that sets it) of a Meta class."""
        if meta.managed is not None:
            return meta.managed, meta
        for base in meta.bases:
            owner = by_name.get(base.rstrip("."))
            owner_meta = None if owner is None else owner.as_meta if base.endswith(".") else owner.meta
            if owner_meta is not None and base not in seen:
                found = meta_managed(owner_meta, seen | {base})
                if found[1] is not None:
                    return found
        return True, None

    def owner_of(src: _Meta | None) -> _Model | None:
        return next((m for m in models if src is not None and src in (m.meta, m.as_meta)), None)

    def effective(model: _Model, seen: frozenset = frozenset()) -> tuple[bool, _Meta | None, _Model | None]:
        """(managed, the Meta that decides it, the abstract base it is inherited from or None)."""
        if model.meta is not None:
            managed, src = meta_managed(model.meta, seen | {model.name})
            owner = owner_of(src)
            return managed, src, owner if owner is not model else None
        # No own Meta: Python's attribute lookup finds the first abstract base's Meta (Django pops a
        # concrete model's Meta, so only abstract bases provide one).
        for base in model.bases:
            parent = by_name.get(base)
            if parent is None or base in seen:
                continue
            if parent.meta is not None and parent.meta.abstract:
                managed, src = meta_managed(parent.meta, seen | {model.name, base})
                owner = owner_of(src)
                return managed, src, owner
            if parent.meta is None:
                found = effective(parent, seen | {model.name})
                if found[1] is not None:
                    return found
        return True, None, None

    set_true: dict[int, _Meta] = {}
    pin: dict[int, str] = {}
    flipped, kept, pinned = [], [], []
    for model in models:
        is_abstract = model.meta is not None and model.meta.abstract
        managed, src, via = effective(model)
        if managed or src is None:
            continue
        if is_abstract:
            if model.keep is None and src is model.meta:
                set_true[id(src.managed_node)] = src
            continue
        base_model = via if via is not None else model
        entry = {"model": model.name, "file": model.file, "line": model.line,
                 "managed_file": base_model.file, "managed_line": src.managed_line,
                 "inherited_from": via.name if via is not None else None}
        if model.keep is not None:
            kept.append({"model": model.name, "file": model.file, "line": model.line, "reason": model.keep})
            if via is not None and via.keep is None:
                # The base will say True: keep this child as it is with its own explicit False.
                # `class Meta(<first app base>.Meta)`: attribute lookup reaches the abstract Meta through it.
                expr = next((e for b, e in zip(model.bases, model.base_exprs) if b in by_name), via.name)
                pin[id(model.node)] = expr
                pinned.append({"model": model.name, "file": model.file, "line": model.line})
            continue
        if via is not None and via.keep is not None:
            kept.append({"model": model.name, "file": model.file, "line": model.line,
                         "reason": f"inherits managed = False from keep-unmanaged {via.name}: {via.keep}"})
            continue
        set_true[id(src.managed_node)] = src
        flipped.append(entry)
    # Abstract bases whose False nobody inherits are flipped too (the rule is: no model says False).
    flipped_sources = {}
    for rel, module in modules.items():
        flipped_sources[rel] = module.visit(_Editor(set(set_true), pin)).code
    return FlipResult(app_dir, sources, flipped_sources, flipped, kept, pinned)


def write(result: FlipResult, out_dir: Path | None = None) -> None:
    """Write the flipped files in place, or into a copy of the app at ``out_dir``."""
    target = result.app_dir
    if out_dir is not None:
        target = Path(out_dir)
        if target.resolve() != result.app_dir.resolve():
            shutil.copytree(result.app_dir, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for rel, text in result.flipped_sources.items():
        path = target / rel
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
