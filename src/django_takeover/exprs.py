"""Translate PostgreSQL's deparsed CHECK / index predicates into Django ``Q`` source.

Written by hand because no maintained library turns PostgreSQL's *deparsed*
expressions (pg_get_constraintdef / pg_get_expr output, with its casts such as
``(status)::text`` and ``ARRAY[...]::text[]``) into Django ORM expressions; a
general SQL parser (sqlglot, pglast) would still leave the Django mapping to us
and is not a dependency of this project. The subset is deliberately small:
comparisons of a column with a literal or another column, IS [NOT] NULL,
IN lists, bare boolean columns, AND / OR / NOT. Anything else raises
``Untranslatable`` and the caller reports it in the audit instead of guessing.
Whatever is translated is checked by ``prove``, which compares the constraint
Django creates with the live one by definition.
"""

from __future__ import annotations

import re
from decimal import Decimal

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<op>::|<>|!=|<=|>=|=|<|>|\(|\)|\[|\]|,|-)
""", re.VERBOSE)

KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "ANY", "ARRAY", "BETWEEN", "IN", "LIKE"}
LOOKUPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
TEXTY = ("character varying", "text", "character", "bpchar", "varchar")


class Untranslatable(Exception):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise Untranslatable(f"unexpected {text[pos:pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        val = m.group()
        if kind == "ident" and val.upper() in KEYWORDS:
            kind, val = "kw", val.upper()
        elif kind == "qident":
            kind, val = "ident", val[1:-1].replace('""', '"')
        out.append((kind, val))
    return out


class _Parser:
    def __init__(self, text: str, columns: dict[str, str]):
        self.toks = tokenize(text)
        self.i = 0
        self.columns = columns  # column name -> query name (field attname)

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def take(self, kind=None, val=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (val and tok[1] != val):
            raise Untranslatable(f"expected {val or kind}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.expr()
        if self.peek()[0] != "eof":
            raise Untranslatable(f"trailing {self.peek()[1]!r}")
        return node

    def expr(self):
        parts = [self.and_expr()]
        while self.peek() == ("kw", "OR"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self):
        parts = [self.not_expr()]
        while self.peek() == ("kw", "AND"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_expr(self):
        if self.peek() == ("kw", "NOT"):
            self.take()
            return ("not", self.not_expr())
        return self.predicate()

    def predicate(self):
        left = self.operand()
        tok = self.peek()
        if tok == ("kw", "IS"):
            self.take()
            neg = False
            if self.peek() == ("kw", "NOT"):
                self.take()
                neg = True
            self.take("kw", "NULL")
            return ("isnull", self._col(left), not neg)
        if tok[0] == "op" and tok[1] in LOOKUPS:
            op = self.take()[1]
            if self.peek() == ("kw", "ANY"):
                if op != "=":
                    raise Untranslatable("only = ANY is supported")
                self.take()
                self.take("op", "(")
                values = self.array()
                self.take("op", ")")
                return ("in", self._col(left), values)
            right = self.operand()
            return ("cmp", op, left, right)
        if left[0] in ("col", "node"):
            return left[1] if left[0] == "node" else ("bool", left[1])
        raise Untranslatable(f"unsupported predicate near {tok[1]!r}")

    def array(self):
        # PostgreSQL deparses IN lists as ANY ((ARRAY[...])::text[]): peel the parentheses.
        if self.peek() == ("op", "(") and self.peek(1) == ("kw", "ARRAY") or \
                self.peek() == ("op", "(") and self.peek(1) == ("op", "("):
            self.take()
            inner = ("array", self.array())
            self.take("op", ")")
            while self.peek() == ("op", "::"):
                self.take()
                self.cast_type()
            return inner[1]
        inner = self.operand()
        if inner[0] != "array":
            raise Untranslatable("ANY needs an ARRAY literal")
        return inner[1]

    def cast_type(self):
        words = []
        while self.peek()[0] == "ident":
            words.append(self.take()[1])
        if not words:
            raise Untranslatable("cast without type")
        if self.peek() == ("op", "("):
            self.take()
            self.take("num")
            while self.peek() == ("op", ","):
                self.take()
                self.take("num")
            self.take("op", ")")
        array = False
        while self.peek() == ("op", "["):
            self.take()
            self.take("op", "]")
            array = True
        return " ".join(words), array

    def operand(self):
        node = self.primary()
        while self.peek() == ("op", "::"):
            self.take()
            typ, is_array = self.cast_type()
            if node[0] == "col":
                col_type = self.columns[node[1]][1]
                # varchar compared as text is PostgreSQL's implicit cast, which
                # Django's SQL triggers too; any other cast changes meaning.
                if not (typ == "text" and col_type.startswith(TEXTY)):
                    raise Untranslatable(f"cast of column to {typ}")
            elif node[0] == "lit":
                if typ in ("numeric", "integer", "bigint", "smallint", "double precision", "real"):
                    if not isinstance(node[1], (int, float, Decimal)):
                        try:
                            node = ("lit", _number(node[1]))
                        except ValueError:
                            raise Untranslatable("bad numeric literal") from None
                elif typ == "boolean" and isinstance(node[1], str):
                    node = ("lit", {"true": True, "false": False}.get(node[1]))
                    if node[1] is None:
                        raise Untranslatable("bad boolean literal")
                elif not typ.startswith(TEXTY):
                    raise Untranslatable(f"literal of type {typ}")
            elif node[0] == "array":
                pass
            else:
                raise Untranslatable("cast of an expression")
        return node

    def primary(self):
        kind, val = self.peek()
        if kind == "op" and val == "(":
            self.take()
            inner = self.expr()
            self.take("op", ")")
            if inner[0] == "bool":
                return ("col", inner[1])
            return ("node", inner)
        if kind == "op" and val == "-" and self.peek(1)[0] == "num":
            self.take()
            return ("lit", -_number(self.take()[1]))
        if kind == "str":
            self.take()
            return ("lit", val[1:-1].replace("''", "'"))
        if kind == "num":
            self.take()
            return ("lit", _number(val))
        if kind == "kw" and val in ("TRUE", "FALSE"):
            self.take()
            return ("lit", val == "TRUE")
        if kind == "kw" and val == "ARRAY":
            self.take()
            self.take("op", "[")
            items = [self.operand()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.operand())
            self.take("op", "]")
            if any(it[0] != "lit" for it in items):
                raise Untranslatable("non-literal in ARRAY")
            return ("array", [it[1] for it in items])
        if kind == "ident":
            if self.peek(1) == ("op", "("):
                raise Untranslatable(f"function {val}()")
            if val not in self.columns:
                raise Untranslatable(f"unknown column {val}")
            self.take()
            return ("col", val)
        raise Untranslatable(f"unexpected {val!r}")

    def _col(self, node):
        if node[0] != "col":
            raise Untranslatable("expected a column")
        return node[1]


def _number(text):
    return int(text) if re.fullmatch(r"\d+", str(text)) else Decimal(str(text))


def _lit(value) -> str:
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    return repr(value)


def to_q(text: str, columns: dict[str, tuple[str, str]], uses: set[str]) -> str:
    """Return Q(...) source for a deparsed boolean expression.

    ``columns`` maps column name -> (query name, format_type). ``uses`` collects
    names the caller must import (Q, F, Decimal).
    """
    parser = _Parser(text, columns)
    node = parser.parse()
    if node[0] == "node":
        node = node[1]
    uses.add("Q")
    return _render(node, columns, uses, top=True)


def _render(node, columns, uses, top=False) -> str:
    kind = node[0]
    if kind == "node":
        return _render(node[1], columns, uses)
    if kind == "col":
        node = ("bool", node[1])
        kind = "bool"
    if kind == "and":
        return "(" * (not top) + " & ".join(_render(p, columns, uses) for p in node[1]) + ")" * (not top)
    if kind == "or":
        return "(" * (not top) + " | ".join(_render(p, columns, uses) for p in node[1]) + ")" * (not top)
    if kind == "not":
        return "~" + _render(node[1], columns, uses)
    if kind == "bool":
        name, typ = columns[node[1]]
        if typ != "boolean":
            raise Untranslatable("non-boolean column used as a condition")
        return f"Q({name}=True)"
    if kind == "isnull":
        return f"Q({columns[node[1]][0]}__isnull={node[2]!r})"
    if kind == "in":
        if any(isinstance(v, Decimal) for v in node[2]):
            uses.add("Decimal")
        return f"Q({columns[node[1]][0]}__in=[{', '.join(_lit(v) for v in node[2])}])"
    if kind == "cmp":
        op, left, right = node[1], node[2], node[3]
        if left[0] != "col" and right[0] == "col":
            left, right, op = right, left, FLIP[op]
        if left[0] != "col":
            raise Untranslatable("comparison without a column")
        name = columns[left[1]][0]
        lookup = "" if LOOKUPS[op] == "exact" else "__" + LOOKUPS[op]
        if right[0] == "col":
            uses.add("F")
            return f"Q({name}{lookup}=F({columns[right[1]][0]!r}))"
        if right[0] != "lit":
            raise Untranslatable("comparison with an expression")
        if isinstance(right[1], Decimal):
            uses.add("Decimal")
        return f"Q({name}{lookup}={_lit(right[1])})"
    raise Untranslatable(f"unsupported {kind}")


FUNC_RE = re.compile(r"^(lower|upper)\((?P<arg>.+)\)$")


def index_key(key_def: str, columns: dict[str, tuple[str, str]], uses: set[str]) -> str:
    """Translate one expression key of an index (pg_get_indexdef(oid, n, true))."""
    m = FUNC_RE.match(key_def.strip())
    if m:
        arg = m.group("arg").strip()
        col = re.sub(r"^\(?(.+?)\)?::text$", r"\1", arg)
        col = col[1:-1].replace('""', '"') if col.startswith('"') else col
        if col in columns and (arg == col or columns[col][1].startswith(TEXTY)):
            func = m.group(1).capitalize()
            uses.add(func)
            field = columns[col][0]
            return f"{func}({field!r})"
    raise Untranslatable(f"index expression {key_def}")


# ---------------------------------------------------------------- constants, on PostgreSQL's own parse tree

def _parse_expr(text: str):
    """The parse tree of one scalar expression, by PostgreSQL's parser (libpg_query, via pglast)."""
    import pglast
    try:
        stmt = pglast.parse_sql(f"SELECT {text}")
    except pglast.parser.ParseError as exc:
        raise Untranslatable(f"cannot parse {text!r}: {exc}") from None
    if len(stmt) != 1 or len(stmt[0].stmt.targetList) != 1:
        raise Untranslatable(f"not one expression: {text!r}")
    return stmt[0].stmt.targetList[0].val


def is_constant(text: str) -> bool:
    """True when the deparsed expression holds only literals, casts and unary minus (no function, no column)."""
    from pglast import ast

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
        return const(_parse_expr(text))
    except Untranslatable:
        return False
