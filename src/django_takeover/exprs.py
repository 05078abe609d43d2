"""Map PostgreSQL's deparsed CHECK / index expressions to Django ORM source.

Parsing is PostgreSQL's own: ``pglast`` wraps libpg_query, the server's
parser, so every expression pg_get_constraintdef / pg_get_expr /
pg_get_indexdef can print is read exactly, casts and all. What is ours is
only the mapping from that parse tree to Django expressions, and it covers
what Django can express:

- comparisons ``= <> < <= > >=`` between a column (or ``lower``/``upper``/
  ``length``/``char_length`` of one) and a constant of any basic type or
  another column; ``<>`` uses the ``NotEqual`` lookup generate writes into
  ``fields.py`` (Django has no ``ne`` lookup, and ``~Q(a=b)`` would create
  ``NOT (a = b)``, a different definition);
- ``IS [NOT] NULL``, ``AND`` / ``OR`` / ``NOT``, ``= ANY (ARRAY[...])``
  (how PostgreSQL stores ``IN (...)``), bare boolean columns;
- the implicit ``varchar -> text`` cast PostgreSQL adds itself; other casts
  of a column map to ``Cast`` where Django has the type.

Anything else raises ``Untranslatable`` and becomes an audit blocker instead
of a guess. Every translation is then proved: prove builds Django's
constraint and compares PostgreSQL's deparse of it with the live one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pglast
from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType

TEXTY = ("character varying", "text", "character", "bpchar", "varchar")
LOOKUPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
LOOKUP_CLASSES = {"=": "Exact", "<": "LessThan", "<=": "LessThanOrEqual", ">": "GreaterThan",
                  ">=": "GreaterThanOrEqual"}
FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
FUNCS = {"lower": "Lower", "upper": "Upper", "length": "Length", "char_length": "CharLength"}
INT_TYPES = {"int2", "int4", "int8", "smallint", "integer", "bigint", "int"}
FLOAT_TYPES = {"float4", "float8", "real", "double precision"}
TEXT_TYPE_NAMES = {"text", "varchar", "bpchar", "character varying", "character"}
# Casts of a column Django can write as Cast(..., output_field=...): PostgreSQL type -> Django field.
CAST_FIELDS = {"int4": "IntegerField()", "int8": "BigIntegerField()", "int2": "SmallIntegerField()",
               "numeric": "DecimalField()", "date": "DateField()", "float8": "FloatField()",
               "bool": "BooleanField()"}


# Names the generated fields.py provides (render.FIELDS_PY): Django has no such lookup or function.
FIELDS_PY_NAMES = {"NotEqual", "Equal", "CharLength"}


class Untranslatable(Exception):
    pass


def parse_expr(text: str):
    """The parse tree of one scalar expression, by PostgreSQL's parser."""
    try:
        stmt = pglast.parse_sql(f"SELECT {text}")
    except pglast.parser.ParseError as exc:
        raise Untranslatable(f"cannot parse {text!r}: {exc}") from None
    if len(stmt) != 1 or len(stmt[0].stmt.targetList) != 1:
        raise Untranslatable(f"not one expression: {text!r}")
    return stmt[0].stmt.targetList[0].val


def _type_name(tn: ast.TypeName) -> str:
    names = [n.sval for n in tn.names]
    if names[0] == "pg_catalog":
        names = names[1:]
    return ".".join(names)


def _const(node):
    """A Python value for a literal (with casts), or raise."""
    if isinstance(node, ast.TypeCast):
        inner = node.arg
        typ = _type_name(node.typeName)
        if node.typeName.arrayBounds:
            return _const(inner)
        value = _const(inner)
        if typ in INT_TYPES:
            return int(value)
        if typ == "numeric":
            return Decimal(str(value))
        if typ in FLOAT_TYPES:
            # An integer literal PostgreSQL coerced, "(0)::double precision": keep it an integer, so the
            # translation sends 0 (not 0.0) and PostgreSQL stores the same coercion.
            return value if type(value) is int else float(value)
        if typ == "bool":
            if isinstance(value, bool):
                return value
            return {"t": True, "true": True, "f": False, "false": False}[str(value).lower()]
        if typ in TEXT_TYPE_NAMES:
            if not isinstance(value, str):
                raise Untranslatable(f"cast of a non-string literal to {typ}")
            return value
        if typ == "date" and isinstance(value, str):
            return datetime.date.fromisoformat(value)
        raise Untranslatable(f"literal of type {typ}")
    if isinstance(node, ast.A_Const):
        if node.isnull:
            raise Untranslatable("NULL literal")
        v = node.val
        if isinstance(v, ast.Integer):
            return v.ival
        if isinstance(v, ast.Float):
            return Decimal(v.fval)
        if isinstance(v, ast.String):
            return v.sval
        if isinstance(v, ast.Boolean):
            return v.boolval
        raise Untranslatable(f"literal {v!r}")
    if isinstance(node, ast.A_Expr) and node.lexpr is None and node.name[0].sval == "-":
        return -_const(node.rexpr)
    raise Untranslatable(f"not a literal: {type(node).__name__}")


def _lit(value, uses: set[str]) -> str:
    if isinstance(value, Decimal):
        uses.add("Decimal")
        return f"Decimal({str(value)!r})"
    if isinstance(value, datetime.date):
        uses.add("datetime")
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    return repr(value)


class _Mapper:
    def __init__(self, columns: dict[str, tuple[str, str]], uses: set[str]):
        self.columns = columns   # column name -> (query name, format_type)
        self.uses = uses
        # Under NOT, Django adds "AND col IS NOT NULL" to a negated keyword lookup on a nullable
        # column (filter semantics). A lookup *expression* is compiled as written, so NOT uses those.
        self.negated = 0

    # -- terms: ("col", name) | ("expr", source, output) | ("const", value)
    def term(self, node):
        if isinstance(node, ast.ColumnRef):
            if len(node.fields) != 1 or not isinstance(node.fields[0], ast.String):
                raise Untranslatable("qualified column reference")
            name = node.fields[0].sval
            if name not in self.columns:
                raise Untranslatable(f"unknown column {name}")
            return ("col", name)
        if isinstance(node, ast.TypeCast) and not isinstance(node.arg, (ast.A_Const, ast.A_Expr, ast.TypeCast)):
            inner = self.term(node.arg)
            typ = _type_name(node.typeName)
            if inner[0] == "col":
                col_type = self.columns[inner[1]][1]
                # varchar compared as text is PostgreSQL's implicit cast, which Django's SQL triggers too.
                if typ == "text" and col_type.startswith(TEXTY):
                    return inner
                if typ in CAST_FIELDS and node.typeName.typmods is None and not node.typeName.arrayBounds:
                    self.uses.add("Cast")
                    return ("expr", f"Cast({self.columns[inner[1]][0]!r}, output_field=models.{CAST_FIELDS[typ]})")
            raise Untranslatable(f"cast to {typ}")
        if isinstance(node, ast.FuncCall):
            fname = ".".join(n.sval for n in node.funcname)
            cls = FUNCS.get(fname.removeprefix("pg_catalog."))
            if cls is None or not node.args or len(node.args) != 1 or node.agg_star or node.over:
                raise Untranslatable(f"function {fname}()")
            arg = self.term(node.args[0])
            if arg[0] != "col":
                raise Untranslatable(f"{fname}() of an expression")
            if not self.columns[arg[1]][1].startswith(TEXTY):
                raise Untranslatable(f"{fname}() of a non-text column")
            self.uses.add(cls)
            return ("expr", f"{cls}({self.columns[arg[1]][0]!r})")
        return ("const", _const(node))

    def nullable(self, column: str) -> bool:
        """Unknown nullability counts as nullable (the safe side)."""
        info = self.columns[column]
        return not (len(info) > 2 and info[2])

    def bool_expr(self, node) -> str:
        if isinstance(node, ast.BoolExpr):
            if node.boolop == BoolExprType.NOT_EXPR:
                self.negated += 1
                try:
                    return "~" + self.bool_expr(node.args[0])
                finally:
                    self.negated -= 1
            parts = [self.bool_expr(a) for a in node.args]
            joiner = " & " if node.boolop == BoolExprType.AND_EXPR else " | "
            return "(" + joiner.join(parts) + ")"
        if isinstance(node, ast.NullTest):
            t = self.term(node.arg)
            if t[0] != "col":
                raise Untranslatable("IS NULL of an expression")
            return f"Q({self.columns[t[1]][0]}__isnull={node.nulltesttype == NullTestType.IS_NULL!r})"
        if isinstance(node, ast.ColumnRef):
            t = self.term(node)
            name, typ = self.columns[t[1]][:2]
            if typ != "boolean":
                raise Untranslatable("non-boolean column used as a condition")
            if self.negated and self.nullable(t[1]):
                raise Untranslatable("NOT of a nullable boolean column (Django would add IS NOT NULL)")
            return f"Q({name}=True)"
        if isinstance(node, ast.A_Expr):
            return self.comparison(node)
        raise Untranslatable(f"unsupported {type(node).__name__}")

    def comparison(self, node) -> str:
        if len(node.name) != 1:
            raise Untranslatable("qualified operator")
        op = node.name[0].sval
        if node.kind == A_Expr_Kind.AEXPR_OP_ANY:
            left = self.term(node.lexpr)
            if op != "=" or left[0] != "col":
                raise Untranslatable(f"{op} ANY")
            arr = node.rexpr.arg if isinstance(node.rexpr, ast.TypeCast) else node.rexpr
            if not isinstance(arr, ast.A_ArrayExpr):
                raise Untranslatable("ANY needs an ARRAY literal")
            values = [_const(e) for e in arr.elements or ()]
            items = f"[{', '.join(_lit(v, self.uses) for v in values)}]"
            if self.negated and self.nullable(left[1]):
                self.uses |= {"In", "F"}
                return f"Q(In(F({self.columns[left[1]][0]!r}), {items}))"
            return f"Q({self.columns[left[1]][0]}__in={items})"
        if node.kind != A_Expr_Kind.AEXPR_OP or op not in FLIP or node.lexpr is None:
            raise Untranslatable(f"operator {op}")
        left, right = self.term(node.lexpr), self.term(node.rexpr)
        if left[0] == "const" and right[0] != "const":
            left, right, op = right, left, FLIP[op]
        if left[0] == "const":
            raise Untranslatable("comparison without a column")
        if right[0] == "col":
            self.uses.add("F")
            rhs = f"F({self.columns[right[1]][0]!r})"
        elif right[0] == "expr":
            rhs = right[1]
        else:
            rhs = _lit(right[1], self.uses)
        if left[0] == "col" and right[0] == "const" and type(right[1]) is int \
                and self.columns[left[1]][1] in ("real", "double precision"):
            # FloatField would send 0.0; PostgreSQL keeps the integer literal as (0)::double precision.
            self.uses.add("Value")
            rhs, op = f"Value({right[1]!r})", {"=": "=="}.get(op, op)
            return self.comparison_source(left, op, rhs, force_expr=True)
        if op == "=" and right[0] == "const" and isinstance(right[1], bool):
            # Django's Exact turns "col = true" into the bare column: a different definition.
            op = "=="
        return self.comparison_source(left, op, rhs, right)

    def comparison_source(self, left, op, rhs, right=("const",), force_expr=False) -> str:
        plain = not self.negated or not (self.nullable(left[1]) or (right[0] == "col" and self.nullable(right[1])))
        plain = plain and not force_expr
        if left[0] == "col" and op not in ("<>", "==") and plain:
            lookup = "" if op == "=" else "__" + LOOKUPS[op]
            return f"Q({self.columns[left[1]][0]}{lookup}={rhs})"
        lhs = left[1] if left[0] == "expr" else f"F({self.columns[left[1]][0]!r})"
        if left[0] == "col":
            self.uses.add("F")
        cls = {"<>": "NotEqual", "==": "Equal"}.get(op) or LOOKUP_CLASSES[op]
        self.uses.add(cls)
        return f"Q({cls}({lhs}, {rhs}))"


def to_q(text: str, columns: dict[str, tuple[str, str]], uses: set[str]) -> str:
    """Return Q(...) source for a deparsed boolean expression.

    ``columns`` maps column name -> (query name, format_type[, NOT NULL]). ``uses`` collects
    names the caller must import (Q, F, Decimal, lookups, functions, NotEqual).
    """
    local: set[str] = set()
    src = _Mapper(columns, local).bool_expr(parse_expr(text))
    if src.startswith("(") and src.endswith(")") and _balanced(src[1:-1]):
        src = src[1:-1]
    uses |= local | {"Q"}
    return src


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def index_key(key_def: str, columns: dict[str, tuple[str, str]], uses: set[str]) -> str:
    """Translate one expression key of an index (pg_get_indexdef(oid, n, true))."""
    local: set[str] = set()
    term = _Mapper(columns, local).term(parse_expr(key_def))
    if term[0] != "expr" or not term[1].startswith(("Lower(", "Upper(")):
        raise Untranslatable(f"index expression {key_def}")
    uses |= local
    return term[1]


def is_constant(text: str) -> bool:
    """True when the deparsed expression holds only literals, casts and unary minus (no function, no column)."""
    def const(node) -> bool:
        if isinstance(node, ast.A_Const):
            return True
        if isinstance(node, ast.TypeCast):
            return const(node.arg)
        if isinstance(node, ast.A_Expr) and node.lexpr is None and len(node.name) == 1 \
                and node.name[0].sval in ("-", "+"):
            return const(node.rexpr)
        if isinstance(node, ast.A_ArrayExpr):
            return all(const(e) for e in (node.elements or ()))
        return False
    try:
        return const(parse_expr(text))
    except Untranslatable:
        return False
