"""Read one PostgreSQL schema out of pg_catalog into plain dataclasses.

Everything the model tools decide (fix-ups, audit, the prove comparison) is
decided from this snapshot, so it is read in a handful of set-based queries
(one per catalog, not one per table) to stay fast on schemas with 1,000+
tables. Definitions are taken from PostgreSQL's own deparsers
(format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef) so that two
databases on the same server compare byte-for-byte when they agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg
from psycopg.conninfo import conninfo_to_dict

FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
RELKINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}


class CatalogError(Exception):
    """Bad input or environment: the CLI turns it into a one-line error and exit 2."""


@dataclass
class Column:
    name: str
    attnum: int
    type: str                 # format_type(atttypid, atttypmod), e.g. "character varying(64)"
    typtype: str              # b base, e enum, d domain, c composite, r range
    is_array: bool
    notnull: bool
    default: str | None       # pg_get_expr(adbin)
    identity: str             # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    generated: str            # '' | 's' (stored generated column)
    owned_sequence: str | None  # sequence owned by this column (serial), if any
    comment: str | None = None  # COMMENT ON COLUMN (Django's db_comment)
    type_oid: int = 0
    base_type: str | None = None  # for a domain: format_type of its base type


@dataclass
class Constraint:
    name: str
    type: str                 # p u f c x
    columns: list[str]
    definition: str           # pg_get_constraintdef
    deferrable: bool = False
    deferred: bool = False
    validated: bool = True
    ref_table: str | None = None
    ref_schema: str | None = None
    ref_columns: list[str] = field(default_factory=list)
    on_delete: str = "a"
    on_update: str = "a"
    index: str | None = None  # name of the backing index (p, u, x)


@dataclass
class Index:
    name: str
    unique: bool
    primary: bool
    method: str               # btree, gin, gist, hash, brin, ...
    definition: str           # pg_get_indexdef with index name and table removed
    key_columns: list[str | None]  # None where the key is an expression
    key_defs: list[str]       # per key: pg_get_indexdef(oid, n, true), e.g. "lower(username::text)"
    descending: list[bool]
    nulls_first: list[bool]
    default_opclass: list[bool]
    n_include: int
    predicate: str | None     # pg_get_expr(indpred)
    constraint: str | None    # name of the constraint it backs, if any
    valid: bool = True


@dataclass
class Table:
    name: str
    kind: str                 # relkind
    is_partition: bool
    inherits: list[str]
    columns: list[Column] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON TABLE (Django's Meta.db_table_comment)

    def column(self, name: str) -> Column | None:
        # A dict, rebuilt when columns were added: called per column per check on schemas of 10,000+ columns.
        cache = self.__dict__.get("_by_name")
        if cache is None or cache[0] != len(self.columns):
            cache = (len(self.columns), {c.name: c for c in reversed(self.columns)})
            self.__dict__["_by_name"] = cache
        return cache[1].get(name)

    @property
    def primary_key(self) -> Constraint | None:
        return next((c for c in self.constraints if c.type == "p"), None)

    def fks(self) -> list[Constraint]:
        return [c for c in self.constraints if c.type == "f"]


@dataclass
class Schema:
    name: str
    tables: dict[str, Table]
    extensions: list[tuple[str, str]]   # (extname, schema)
    server_version: int
    domains: list[str] = field(default_factory=list)   # CREATE DOMAIN statements for the domains in use


def safe_target(dsn: str) -> str:
    """Describe a DSN for messages, never including the password."""
    try:
        d = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    host = d.get("host") or d.get("hostaddr") or "local socket"
    port = d.get("port") or "5432"
    return f"database {d.get('dbname', '?')!s} at {host}:{port} as {d.get('user', '?')!s}"


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    try:
        d = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise CatalogError(f"invalid DSN: {first_line(exc)}") from None
    d.setdefault("connect_timeout", "10")
    try:
        return psycopg.connect(**d, **kwargs)
    except psycopg.OperationalError as exc:
        raise CatalogError(f"cannot connect to {safe_target(dsn)}: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """One line for an error, keeping its cause.

    libpq's message is 'connection failed: connection to server at "h", port p
    failed: Connection refused' plus a hint line; the cause sits in the middle,
    so the target prefix (already named by the caller) is removed and the
    remaining lines are joined, never trimmed.
    """
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return exc.__class__.__name__
    lines[0] = re.sub(r'^(connection (failed|is bad): )?connection to server .*? failed: ', "", lines[0])
    return " ".join(ln if ln.endswith((".", "?", ":")) or i == len(lines) - 1 else ln + "."
                    for i, ln in enumerate(lines)) if len(lines) > 1 else lines[0]


def _strip_index_def(defn: str, qname: str, qtable: str, short: str) -> str:
    """Drop the index name and the schema qualification: they differ between databases that agree."""
    for only in ("", "ONLY "):
        for uniq in ("UNIQUE ", ""):
            prefix = f"CREATE {uniq}INDEX {qname} ON {only}{qtable} "
            if defn.startswith(prefix):
                return f"CREATE {uniq}INDEX ON {only}{short} {defn[len(prefix):]}"
    return defn


def read_schema(conn: psycopg.Connection, schema: str = "public") -> Schema:
    row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
    if row is None:
        raise CatalogError(f"schema {schema!r} does not exist")
    nsp = row[0]
    tables: dict[str, Table] = {}
    oid_to_table: dict[int, Table] = {}
    for oid, name, kind, is_part, comment in conn.execute(
        """SELECT c.oid, c.relname, c.relkind, c.relispartition, obj_description(c.oid, 'pg_class') FROM pg_class c
           WHERE c.relnamespace = %s AND c.relkind IN ('r','p','v','m','f') ORDER BY c.relname""",
        [nsp],
    ):
        tables[name] = oid_to_table.setdefault(oid, Table(name, kind, is_part, [], comment=comment))
    for child, parent in conn.execute(
        """SELECT i.inhrelid, p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relnamespace = %s ORDER BY 1, 2""",
        [nsp],
    ):
        if child in oid_to_table:
            oid_to_table[child].inherits.append(parent)

    attnames: dict[tuple[int, int], str] = {}
    for (relid, attnum, name, typ, typtype, is_array, notnull, default, ident, gen, owned, comment,
         type_oid, base_type) in conn.execute(
        """SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                  COALESCE(bt.typtype, t.typtype), t.typcategory = 'A',
                  a.attnotnull OR (t.typtype = 'd' AND t.typnotnull),
                  pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                  (SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
                    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
                      AND s.relkind = 'S' AND d.deptype IN ('a', 'i') ORDER BY 1 LIMIT 1),
                  col_description(a.attrelid, a.attnum), a.atttypid,
                  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_type t ON t.oid = a.atttypid
           LEFT JOIN pg_type bt ON t.typcategory = 'A' AND bt.oid = t.typelem
           LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
           WHERE c.relnamespace = %s AND c.relkind IN ('r','p','v','m','f')
             AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attrelid, a.attnum""",
        [nsp],
    ):
        attnames[(relid, attnum)] = name
        if relid in oid_to_table:
            oid_to_table[relid].columns.append(
                Column(name, attnum, typ, typtype, is_array, notnull, default, ident, gen, owned, comment,
                       type_oid, base_type))

    ref_attnames: dict[tuple[int, int], str] = {}
    for relid, attnum, name in conn.execute(
        """SELECT a.attrelid, a.attnum, a.attname FROM pg_constraint con
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = ANY (con.confkey)
           WHERE con.connamespace = %s AND con.contype = 'f'""",
        [nsp],
    ):
        ref_attnames[(relid, attnum)] = name

    for (relid, name, ctype, conkey, definition, deferrable, deferred, validated, confrelid,
         ref_table, ref_schema, confkey, deltype, updtype, indname) in conn.execute(
        """SELECT con.conrelid, con.conname, con.contype, con.conkey, pg_get_constraintdef(con.oid),
                  con.condeferrable, con.condeferred, con.convalidated, con.confrelid,
                  rc.relname, rn.nspname, con.confkey, con.confdeltype, con.confupdtype, ic.relname
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           LEFT JOIN pg_class rc ON rc.oid = con.confrelid
           LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
           LEFT JOIN pg_class ic ON ic.oid = con.conindid AND con.contype IN ('p','u','x')
           WHERE c.relnamespace = %s AND con.contype IN ('p','u','f','c','x')
           ORDER BY con.conrelid, con.conname""",
        [nsp],
    ):
        table = oid_to_table.get(relid)
        if table is None:
            continue
        cols = [attnames.get((relid, k), f"#{k}") for k in (conkey or [])]
        refcols = [ref_attnames.get((confrelid, k), f"#{k}") for k in (confkey or [])]
        table.constraints.append(Constraint(
            name, ctype, cols, definition, deferrable, deferred, validated,
            ref_table, ref_schema, refcols, deltype.strip() or "a", updtype.strip() or "a", indname))

    for (relid, name, unique, primary, method, defn, qname, qtable, indkey, indoption, opc_default,
         nkey, natts, pred, conname, valid, key_defs, qshort) in conn.execute(
        """SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, am.amname,
                  pg_get_indexdef(i.indexrelid), quote_ident(ic.relname),
                  quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                  i.indkey::int2[], i.indoption::int2[],
                  ARRAY(SELECT opc.opcdefault FROM unnest(i.indclass::oid[]) o(x)
                        JOIN pg_opclass opc ON opc.oid = o.x),
                  i.indnkeyatts, i.indnatts, pg_get_expr(i.indpred, i.indrelid),
                  (SELECT con.conname FROM pg_constraint con WHERE con.conindid = i.indexrelid
                     AND con.conrelid = i.indrelid AND con.contype IN ('p','u','x') LIMIT 1),
                  i.indisvalid,
                  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                        FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                  quote_ident(c.relname)
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_am am ON am.oid = ic.relam
           WHERE c.relnamespace = %s ORDER BY i.indrelid, ic.relname""",
        [nsp],
    ):
        table = oid_to_table.get(relid)
        if table is None:
            continue
        keys = list(indkey)[:nkey]
        options = list(indoption)[:nkey]
        table.indexes.append(Index(
            name=name, unique=unique, primary=primary, method=method,
            definition=_strip_index_def(defn, qname, qtable, qshort),
            key_columns=[attnames.get((relid, k)) if k else None for k in keys],
            key_defs=list(key_defs),
            descending=[bool(o & 1) for o in options],
            nulls_first=[bool(o & 2) for o in options],
            default_opclass=list(opc_default)[:nkey],
            n_include=natts - nkey, predicate=pred, constraint=conname, valid=valid))

    # Domains the tables use, as DDL: a scratch database must have them before Django's tables.
    domains = [r[0] for r in conn.execute(
        """SELECT format('CREATE DOMAIN %%s AS %%s%%s%%s%%s', t.oid::regtype, format_type(t.typbasetype, t.typtypmod),
                         CASE WHEN t.typcollation <> bt.typcollation
                              THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END,
                         CASE WHEN t.typdefault IS NOT NULL THEN ' DEFAULT ' || t.typdefault ELSE '' END,
                         CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END)
                  || COALESCE((SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' '
                                                 || pg_get_constraintdef(c.oid), '' ORDER BY c.conname)
                               FROM pg_constraint c WHERE c.contypid = t.oid), '')
           FROM pg_type t JOIN pg_type bt ON bt.oid = t.typbasetype
           LEFT JOIN pg_collation co ON co.oid = t.typcollation
           WHERE t.typtype = 'd' AND t.oid IN (
               SELECT a.atttypid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               WHERE c.relnamespace = %s AND a.attnum > 0 AND NOT a.attisdropped)
           ORDER BY t.oid::regtype::text""", [nsp])]

    extensions = [tuple(r) for r in conn.execute(
        """SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname <> 'plpgsql' ORDER BY e.extname""")]
    version = conn.info.server_version
    return Schema(schema, tables, extensions, version, domains)


def load(dsn: str, schema: str = "public") -> Schema:
    with connect(dsn, autocommit=True) as conn:
        try:
            return read_schema(conn, schema)
        except psycopg.Error as exc:
            raise CatalogError(f"cannot read the catalogs of {safe_target(dsn)}: {first_line(exc)}") from None
