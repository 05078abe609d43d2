"""Fix-ups of inspectdb's draft and the audit findings, both decided from the catalog snapshot.

Everything that decides the database definition (primary key type,
uniqueness, defaults, constraints, indexes, ON DELETE) is re-derived from
``catalog``, and every place Django cannot express the live definition
becomes an audit finding instead of a silent difference.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.backends.postgresql.base import DatabaseWrapper  # class attribute only; no settings needed

from . import catalog, customfields, exprs
from .catalog import Column, Schema
from .inspectdb import FieldSrc, ModelSrc

SEVERITIES = ("blocker", "warning", "info")
AUTO_FOR_TYPE = {"integer": "AutoField", "bigint": "BigAutoField", "smallint": "SmallAutoField"}
INT_FOR_TYPE = {"integer": "IntegerField", "bigint": "BigIntegerField", "smallint": "SmallIntegerField"}
ON_DELETE = {"c": "CASCADE", "n": "SET_NULL", "a": "DO_NOTHING", "r": "DO_NOTHING"}
AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}
NOW_DEFAULTS = {"now()", "CURRENT_TIMESTAMP", "transaction_timestamp()"}
INDEX_CLASSES = {"gin": "GinIndex", "gist": "GistIndex", "hash": "HashIndex", "brin": "BrinIndex"}


@dataclass(order=True)
class Finding:
    table: str
    column: str
    severity: str
    code: str
    problem: str
    fix: str

    def sort_key(self):
        return (self.table, SEVERITIES.index(self.severity), self.column, self.code, self.problem)

    def as_dict(self):
        return {k: getattr(self, k) for k in ("table", "column", "severity", "code", "problem", "fix")}



# ---------------------------------------------------------------- type helpers

def django_type(ftype: str, kwargs: dict[str, str]) -> str | None:
    """The column type Django would create, spelled as PostgreSQL's format_type() spells it."""
    template = DatabaseWrapper.data_types.get(ftype)
    if template is None:
        return None
    params = {"max_length": None, "max_digits": None, "decimal_places": None}
    for key in params:
        if key in kwargs:
            params[key] = ast.literal_eval(kwargs[key])
    text = template(params) if callable(template) else template % params
    text = re.sub(r"^varchar\((\d+)\)$", r"character varying(\1)", text)
    text = {"varchar": "character varying", "time": "time without time zone"}.get(text, text)
    return re.sub(r"^numeric\((\d+), (\d+)\)$", r"numeric(\1,\2)", text)


REL_TYPE = {"AutoField": "IntegerField", "BigAutoField": "BigIntegerField", "SmallAutoField": "SmallIntegerField"}


def _target(model: ModelSrc, f: FieldSrc, models: dict[str, ModelSrc]) -> ModelSrc | None:
    ref = f.args[0].strip("'\"") if f.args else ""
    return model if ref == "self" else models.get(ref)


def _target_field(model, f, models) -> FieldSrc | None:
    tgt = _target(model, f, models)
    if tgt is None:
        return None
    if "to_field" in f.kwargs:
        name = ast.literal_eval(f.kwargs["to_field"])
        return next((x for x in tgt.fields if x.attr == name), None)
    return next((x for x in tgt.fields if x.kwargs.get("primary_key") == "True"), None)


def field_type(model, f, models, depth=0) -> str | None:
    if f.db_type:
        return f.db_type
    if f.is_rel:
        tf = _target_field(model, f, models)
        if tf is None or depth > 5:
            return None
        if tf.db_type:
            return tf.db_type
        if tf.is_rel:
            return field_type(_target(model, f, models), tf, models, depth + 1)
        return django_type(REL_TYPE.get(tf.ftype, tf.ftype), tf.kwargs)
    return django_type(f.ftype, f.kwargs)


TEXT_TYPES = ("character varying", "text", "character(")


def translate_default(col: Column, uses: set[str]) -> str | None:
    """db_default source for a live DEFAULT, '' when no db_default is needed, None if untranslatable."""
    d = col.default
    if re.fullmatch(r"NULL(::.+)?", d):
        return ""
    if d in NOW_DEFAULTS and col.type.startswith("timestamp"):
        # Now() compiles to STATEMENT_TIMESTAMP() on PostgreSQL, which is not
        # what the legacy now() (= transaction start) does; TransactionNow is.
        uses.add("TransactionNow")
        return "TransactionNow()"
    m = re.fullmatch(r"'((?:[^']|'')*)'(?:::[a-z ]+(?:\(\d+(?:,\d+)?\))?)?", d)
    raw = m.group(1).replace("''", "'") if m else d
    typ = col.base_type or col.type
    try:
        if typ.startswith(TEXT_TYPES) and m:
            return repr(raw)
        if typ in INT_FOR_TYPE and re.fullmatch(r"-?\d+", raw):
            return repr(int(raw))
        if typ == "boolean" and raw in ("true", "false"):
            return repr(raw == "true")
        if typ.startswith("numeric") and re.fullmatch(r"-?\d+(\.\d+)?", raw):
            uses.add("Decimal")
            return f"Decimal({str(Decimal(raw))!r})"
        if typ in ("double precision", "real") and re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", raw):
            return repr(float(raw))
    except ValueError:
        return None
    return None



# ---------------------------------------------------------------- idiomatic names (opt-in)
# A few English rules, not an inflection library: legacy table and column names are short plural
# nouns and agent nouns; a rule that does not apply leaves inspectdb's name, which is always correct.
# Words that end in -s without being plural, and irregular forms, are listed.
NOT_PLURAL = ("ss", "us", "is", "news", "series", "species", "data", "media", "status", "alias")
IRREGULAR_SINGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman",
                      "indices": "index", "matrices": "matrix", "statuses": "status", "aliases": "alias",
                      "bonuses": "bonus", "campuses": "campus", "viruses": "virus", "buses": "bus",
                      "caches": "cache", "niches": "niche", "quizzes": "quiz"}
# Field names that say a row's role, and what a Django developer calls the reverse side by them.
# A list, not a rule: "customer" is no "customed", "committee" no "committed".
ROLE_PARTICIPLE = {
    "reporter": "reported", "assignee": "assigned", "assigner": "assigned", "creator": "created",
    "updater": "updated", "modifier": "modified", "editor": "edited", "approver": "approved",
    "reviewer": "reviewed", "closer": "closed", "owner": "owned", "author": "authored", "sender": "sent",
    "receiver": "received", "recipient": "received", "requester": "requested", "submitter": "submitted",
    "uploader": "uploaded", "poster": "posted", "moderator": "moderated", "inviter": "invited",
    "invitee": "invited", "follower": "followed", "blocker": "blocked", "deleter": "deleted",
}


def singular(class_name: str) -> str:
    """The class name with its last CamelCase word singular: ``TicketStatuses`` -> ``TicketStatus``."""
    m = re.match(r"^(.*?)([A-Z]?[a-z]+)$", class_name)
    if not m:
        return class_name
    head, word = m.groups()
    low = word.lower()
    if low in IRREGULAR_SINGULAR:
        new = IRREGULAR_SINGULAR[low]
    elif low.endswith(NOT_PLURAL) or not low.endswith("s") or len(low) < 4:
        return class_name
    elif low.endswith("ies"):
        new = low[:-3] + "y"
    elif low.endswith(("sses", "shes", "ches", "xes")):
        new = low[:-2]
    else:
        new = low[:-1]
    return head + (new[0].upper() + new[1:] if word[0].isupper() else new)


def role_participle(attr: str) -> str | None:
    """What a foreign key field's name says the row did: ``reporter`` -> ``reported``; None when unclear."""
    word = re.sub(r"(_id|_fk)$", "", attr)
    m = re.fullmatch(r"([a-z]+ed)_(by|to|for)", word)
    if m:
        return m[1]
    return ROLE_PARTICIPLE.get(word)


# ---------------------------------------------------------------- fix-ups and audit

class Builder:
    def __init__(self, schema: Schema, models: list[ModelSrc], unable: list[str], app_label: str,
                 fields_py: bool = False, idiomatic_names: bool = False):
        self.schema = schema
        self.models = models
        self.by_name = {m.name: m for m in models}
        self.by_table = {m.db_table: m for m in models}
        self.unable = unable
        self.app_label = app_label
        self.findings: list[Finding] = []
        self.uses: set[str] = set()
        self.long_index_names: list[str] = []
        self.custom_fields: dict[str, str] = {}   # class name -> source, for fields.py
        # Whether the caller writes fields.py beside models.py; without it, nothing may need it.
        self.fields_py = fields_py
        self.idiomatic_names = idiomatic_names

    def add(self, table, column, severity, code, problem, fix, keep=None):
        self.findings.append(Finding(table, column or "", severity, code, problem, fix))
        if severity == "blocker":
            m = self.by_table.get(table)
            if m is not None:
                m.keep_reasons.append(keep or code.replace("-", " "))

    def run(self):
        for name in self.unable:
            self.add(name, "", "blocker", "not-inspectable",
                     "inspectdb could not inspect this table, so it has no model",
                     "fix the inspectdb error (run `manage.py inspectdb` by hand) or model it manually")
        for t in self.schema.tables.values():
            if t.name not in self.by_table and t.name not in self.unable:
                if t.is_partition:
                    self.add(t.name, "", "info", "partition",
                             f"partition of {', '.join(t.inherits)}; it has no model of its own",
                             "use the partitioned parent's model")
                else:
                    self.add(t.name, "", "blocker", "no-model", "inspectdb produced no model for it",
                             "model it by hand or leave it to the legacy schema")
        pairs = [(m, self.schema.tables[m.db_table]) for m in self.models if m.db_table in self.schema.tables]
        # Multi-column FKs by target table, once (scanning every table per table was quadratic).
        self.composite_fk_refs: dict[str, list] = {}
        for o in self.schema.tables.values():
            for c in o.fks():
                if len(c.columns) > 1:
                    self.composite_fk_refs.setdefault(c.ref_table, []).append((o, c))
        for m, t in pairs:
            # Keys first: a foreign key's column type depends on its target's key field.
            self.table_kind(m, t)
            self.primary_key(m, t)
            for f in m.fields:
                if f.column is not None and not f.is_rel:
                    self.custom_field(m, t, f)
        for m, t in pairs:
            for f in m.fields:
                if f.column is not None:
                    self.column(m, t, f)
            self.foreign_keys(m, t)
            self.constraints(m, t)
            self.indexes(m, t)
        if self.idiomatic_names:
            self.singular_class_names()
        self.related_names()

    # -- tables
    def table_kind(self, m, t):
        if t.kind in ("v", "m"):
            self.add(t.name, "", "blocker", "view", f"{catalog.RELKINDS[t.kind]}: Django cannot own its definition",
                     "keep it unmanaged; create/alter it with RunSQL migrations after retirement", keep="view")
        elif t.kind == "p":
            self.add(t.name, "", "blocker", "partitioned",
                     "partitioned table: Django cannot create partitions or the partition key",
                     "keep it unmanaged; manage partitions with RunSQL", keep="partitioned table")
        elif t.kind == "f":
            self.add(t.name, "", "blocker", "foreign-table", "foreign table", "keep it unmanaged", keep="foreign table")
        if t.inherits and not t.is_partition:
            self.add(t.name, "", "blocker", "inherits", f"inherits from {', '.join(t.inherits)}",
                     "keep it unmanaged: Django cannot express table inheritance", keep="table inheritance")

    def primary_key(self, m, t):
        pk = t.primary_key
        if t.kind in ("v", "m"):
            return
        if pk is None:
            if self.unique_as_primary_key(m, t):
                return
            self.add(t.name, "", "blocker", "no-primary-key",
                     "table has no primary key and no UNIQUE NOT NULL column set to use as one; Django would invent "
                     "an `id` column that does not exist",
                     f"add one: ALTER TABLE {t.name} ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY "
                     "PRIMARY KEY (then regenerate)", keep="no primary key")
            return
        referencing = self.composite_fk_refs.get(t.name, [])
        for other, con in referencing:
            self.add(t.name, "", "blocker", "composite-fk-target",
                     f"composite key ({', '.join(con.ref_columns)}) is the target of {other.name}.{con.name}; "
                     "Django 5.2 cannot declare a foreign key to a composite key",
                     "keep both tables unmanaged, or give this table a single-column key", keep="composite FK target")
        if len(pk.columns) > 1:
            if not any(f.ftype == "CompositePrimaryKey" for f in m.fields):
                self.add(t.name, "", "blocker", "composite-pk", "composite key not expressed", "model it by hand")
            return
        colname = pk.columns[0]
        col = t.column(colname)
        f = m.by_column(colname)
        auto = col.type in AUTO_FOR_TYPE and (col.identity or (col.default or "").startswith("nextval("))
        if f is None:
            # inspectdb leaves out `id = AutoField(primary_key=True)` and lets
            # DEFAULT_AUTO_FIELD decide, which may be BigAutoField.
            ftype = AUTO_FOR_TYPE.get(col.type) if auto else INT_FOR_TYPE.get(col.type)
            if ftype is None:
                self.add(t.name, colname, "blocker", "pk-type", f"primary key of type {col.type} missing from model",
                         "model the key by hand")
                return
            m.fields.insert(0, FieldSrc(colname, ftype, [], {"primary_key": "True"}, [], colname))
            m.fixups.append(f"explicit primary key {colname} = {ftype}")
        elif auto and f.ftype not in AUTO_FIELDS and not f.is_rel:
            f.ftype = AUTO_FOR_TYPE[col.type]
            m.fixups.append(f"primary key {colname} is auto-increment: {f.ftype}")
        if col.identity == "a":
            self.add(t.name, colname, "blocker", "identity-always",
                     "GENERATED ALWAYS AS IDENTITY; Django creates GENERATED BY DEFAULT, and cannot insert explicit keys",
                     f"ALTER TABLE {t.name} ALTER COLUMN {colname} SET GENERATED BY DEFAULT",
                     keep="identity ALWAYS key")
        elif auto and not col.identity:
            seq = re.search(r"nextval\('?\(?'?([^':)]+)", col.default or "")
            seqname = seq.group(1) if seq else "?"
            if col.owned_sequence is None:
                self.add(t.name, colname, "warning", "sequence-not-owned",
                         f"key default uses sequence {seqname}, which is not owned by the column",
                         f"ALTER SEQUENCE {seqname} OWNED BY {t.name}.{colname} (so Django's sequence reset finds it)")
            self.add(t.name, colname, "info", "serial-not-identity",
                     "serial key (DEFAULT nextval); Django would create GENERATED BY DEFAULT AS IDENTITY. "
                     "prove treats both as one auto-increment key; --fake-initial leaves the serial in place",
                     "nothing needed; to converge later, convert the serial to an identity column in a RunSQL migration")

    def key_candidates(self, m, t) -> list[list[str]]:
        """UNIQUE NOT NULL column sets the model can declare as its key, best first.

        A unique constraint, or a valid unique index on plain columns without
        predicate or INCLUDE, whose columns are all NOT NULL and modelled; a
        single column must not be a relation (a OneToOneField key would drop
        the live UNIQUE from the scratch build). Fewest columns first, then
        constraints before indexes, then by name: deterministic.
        """
        out = []
        for con in t.constraints:
            if con.type == "u" and not con.deferrable:
                out.append((len(con.columns), 0, con.name, list(con.columns)))
        for ix in t.indexes:
            if (ix.unique and not ix.constraint and not ix.primary and ix.valid and not ix.predicate
                    and not ix.n_include and all(ix.key_columns) and all(ix.default_opclass)):
                out.append((len(ix.key_columns), 1, ix.name, list(ix.key_columns)))
        keys = []
        for _, _, _, cols in sorted(out):
            if len(set(cols)) != len(cols) or cols in keys:
                continue
            if not all(t.column(c) is not None and t.column(c).notnull for c in cols):
                continue
            fields = [m.by_column(c) for c in cols]
            if None in fields or (len(fields) == 1 and fields[0].is_rel):
                continue
            keys.append(cols)
        return keys

    def unique_as_primary_key(self, m, t) -> bool:
        """No primary key, but a UNIQUE NOT NULL column set: declare it as the model's key (ORM updates work).

        The database is not changed, so the table stays keep-unmanaged: Django
        must never believe (after --fake-initial) or create a PRIMARY KEY the
        database lacks. prove builds it and accepts exactly this one difference.
        """
        keys = self.key_candidates(m, t)
        if not keys:
            return False
        cols = keys[0]
        fields = [m.by_column(c) for c in cols]
        if len(fields) == 1:
            f = fields[0]
            col = t.column(cols[0])
            if col.type in AUTO_FOR_TYPE and (col.identity == "d" or (col.default or "").startswith("nextval(")):
                f.ftype = AUTO_FOR_TYPE[col.type]
            f.kwargs = {"primary_key": "True", **{k: v for k, v in f.kwargs.items()
                                                  if k not in ("primary_key", "unique", "blank", "null")}}
            m.fixups.append(f"primary key {f.attr} (UNIQUE NOT NULL in the database)")
        else:
            names = [f.attr + "_id" if f.is_rel else f.attr for f in fields]
            m.fields.insert(0, FieldSrc("pk", "CompositePrimaryKey", [repr(n) for n in names], {}, []))
            m.fixups.append(f"composite primary key ({', '.join(names)}) (UNIQUE NOT NULL in the database)")
        m.unique_pk = cols
        reason = f"no primary key in the database: UNIQUE NOT NULL {', '.join(cols)} is the model's key"
        m.keep_reasons.append(reason)
        idx = f"{t.name}_pkey"
        self.add(t.name, ",".join(cols), "warning", "unique-as-primary-key",
                 f"table has no primary key; the model declares UNIQUE NOT NULL ({', '.join(cols)}) as its key "
                 f"({'primary_key=True' if len(cols) == 1 else 'CompositePrimaryKey'}), so the ORM can save and "
                 "delete rows. The model stays managed = False (prove accepts this one difference), so no migration "
                 "records or creates a primary key the database does not have",
                 f"to make it retirable, add the key the model declares: CREATE UNIQUE INDEX CONCURRENTLY {idx} "
                 f"ON {t.name} ({', '.join(cols)}); ALTER TABLE {t.name} ADD CONSTRAINT {idx} PRIMARY KEY USING "
                 f"INDEX {idx}; then regenerate and prove")
        return True

    def to_q(self, text, colmap) -> str:
        uses: set[str] = set()
        q = exprs.to_q(text, colmap, uses)
        needs = sorted(u for u in uses if u in exprs.FIELDS_PY_NAMES)
        if needs and not self.fields_py:
            raise exprs.Untranslatable(f"needs {', '.join(needs)} from fields.py, which this caller does not write")
        self.uses |= uses
        return q

    # -- types Django has no field for
    def custom_field(self, m, t, f):
        if not self.fields_py:
            return
        col = t.column(f.column)
        found = customfields.custom_field(col) if col is not None else None
        if found is None or f.ftype in AUTO_FIELDS:
            return
        name, source, db_type, kwargs = found
        f.ftype, f.local, f.db_type = name, True, db_type
        f.kwargs.update(kwargs)
        f.notes = [n for n in f.notes if "field type is a guess" not in n]
        self.custom_fields[name] = source
        self.uses.add(name)
        m.fixups.append(f"{f.attr}: {name} from fields.py ({db_type})")
        self.add(t.name, col.name, "info", "custom-field",
                 f"{col.type} has no Django field; modelled with {name} (generated in fields.py), whose "
                 f"db_type() is {db_type}, so the column keeps its type and behaviour",
                 "none; keep fields.py beside models.py" + (
                     ". USE_TZ: NaiveDateTimeField reads naive wall-clock values as stored and writes aware "
                     "datetimes as wall-clock time in settings.TIME_ZONE (set it to the zone the PHP app uses)"
                     if name == "NaiveDateTimeField" else ""))

    # -- columns
    def column(self, m, t, f):
        col = t.column(f.column)
        if col is None:
            return
        if "unique" in f.kwargs:
            # inspectdb also marks columns of *partial* unique indexes unique;
            # uniqueness is re-derived from the catalog into Meta.
            del f.kwargs["unique"]
        is_pk = f.kwargs.get("primary_key") == "True"
        guessed = any("field type is a guess" in n for n in f.notes)
        if guessed:
            self.add(t.name, col.name, "blocker", "guessed-type",
                     f"inspectdb guessed {f.ftype} for {col.type}; Django would create a different column",
                     "keep the table unmanaged, or use a matching field class (e.g. a custom field) by hand",
                     keep=f"guessed type for {col.name}")
        if any("max_digits and decimal_places have been guessed" in n for n in f.notes):
            self.add(t.name, col.name, "blocker", "guessed-type", "numeric without precision: digits were guessed",
                     f"ALTER TABLE {t.name} ALTER COLUMN {col.name} TYPE numeric(p,s), or keep unmanaged",
                     keep=f"guessed type for {col.name}")
        for note in f.notes:
            if "Field renamed" in note:
                self.add(t.name, col.name, "info", "renamed-column",
                         f"column {col.name!r} is field {f.attr!r}: {note.rstrip('.')}",
                         "none: db_column keeps it working")
        if col.generated:
            self.add(t.name, col.name, "blocker", "generated-column", "generated column; inspectdb models it as plain",
                     "keep unmanaged, or hand-write a GeneratedField", keep=f"generated column {col.name}")
        if col.default is not None and not col.generated:
            if col.default.startswith("nextval(") or col.identity:
                if not (is_pk and f.ftype in AUTO_FIELDS):
                    if f.ftype in AUTO_FIELDS:
                        f.ftype = INT_FOR_TYPE.get(col.type, f.ftype)
                    self.add(t.name, col.name, "blocker", "sequence-default",
                             f"sequence default {col.default} on a column that is not the primary key",
                             "keep unmanaged; Django can only auto-increment the primary key",
                             keep=f"sequence default on {col.name}")
            else:
                src = translate_default(col, self.uses)
                if src is None:
                    self.add(t.name, col.name, "blocker", "default-not-expressible",
                             f"DEFAULT {col.default} cannot be written as db_default",
                             "keep unmanaged, or hand-write the db_default expression and re-run prove",
                             keep=f"default on {col.name}")
                elif src:
                    f.kwargs["db_default"] = src
                    m.fixups.append(f"db_default on {col.name}")
        elif col.identity and not is_pk:
            self.add(t.name, col.name, "blocker", "sequence-default", "identity column that is not the primary key",
                     "keep unmanaged", keep=f"identity on {col.name}")
        if not guessed and f.ftype != "CompositePrimaryKey":
            want = field_type(m, f, self.by_name)
            if want is not None and want != col.type:
                fix = (f"keep the table unmanaged, or ALTER TABLE {t.name} ALTER COLUMN {col.name} TYPE {want} "
                       f"(this changes the column's behaviour: check what {col.type} does first)")
                if col.type == "timestamp without time zone" and want.startswith("timestamp with"):
                    fix = (f"ALTER TABLE {t.name} ALTER COLUMN {col.name} TYPE timestamptz USING {col.name} "
                           "AT TIME ZONE '<the zone the PHP app wrote in>', or keep the table unmanaged")
                self.add(t.name, col.name, "blocker", "type-mismatch",
                         f"live type {col.type}, Django would create {want}", fix,
                         keep=f"{col.type} column {col.name}")
            elif want is None and f.is_rel:
                self.add(t.name, col.name, "blocker", "fk-target-unknown",
                         "foreign key target model or field not found", "model it by hand")

    # -- foreign keys
    def foreign_keys(self, m, t):
        for con in t.fks():
            if len(con.columns) > 1:
                self.add(t.name, ",".join(con.columns), "blocker", "composite-fk",
                         f"foreign key {con.name} has {len(con.columns)} columns; Django 5.2 cannot declare it",
                         "keep unmanaged", keep="multi-column foreign key")
                continue
            if con.ref_schema != self.schema.name:
                self.add(t.name, con.columns[0], "blocker", "fk-other-schema",
                         f"foreign key {con.name} points to {con.ref_schema}.{con.ref_table}",
                         "keep unmanaged", keep="FK to another schema")
                continue
            f = m.by_column(con.columns[0])
            if f is None or not f.is_rel:
                continue
            self.one_to_one(m, t, f)
            if f.ftype == "ForeignKey" and f.kwargs.get("db_index") != "False":
                # Django would add an index on every FK column (plus a _like one
                # for varchar); the real indexes are carried in Meta.indexes.
                f.kwargs["db_index"] = "False"
                m.fixups.append(f"db_index=False on {f.attr} (real indexes in Meta)")
            action = ON_DELETE.get(con.on_delete)
            if action is None:
                action = "DO_NOTHING"
            if f"models.{action}" != f.args[1]:
                f.args[1] = f"models.{action}"
                m.fixups.append(f"on_delete={action} on {f.attr}")
            if con.on_delete not in ("a", "r"):
                self.add(t.name, f.column, "warning", "fk-on-delete",
                         f"ON DELETE {catalog.FK_ACTIONS[con.on_delete]} in the database; Django 5.2 cannot declare a "
                         "database-level ON DELETE and emulates it in Python",
                         f"model uses on_delete=models.{action}; after --fake-initial the database keeps its action, "
                         "but any migration that rebuilds this FK drops it (with Django 6.1+ use db_on_delete)")
            if con.on_update not in ("a", "r"):
                self.add(t.name, f.column, "warning", "fk-on-update",
                         f"ON UPDATE {catalog.FK_ACTIONS[con.on_update]}: Django has no on_update and prove does not "
                         "compare it",
                         "harmless while Django never updates keys; a migration that rebuilds this FK drops it")

    def one_to_one(self, m, t, f):
        if f.ftype != "OneToOneField" or f.kwargs.get("primary_key") == "True":
            return
        plain_unique = [c for c in t.constraints if c.type == "u" and c.columns == [f.column]] + \
            [i for i in t.indexes if i.unique and not i.constraint and i.key_columns == [f.column]
             and not i.predicate and not i.n_include]
        if not plain_unique:
            f.ftype = "ForeignKey"
            m.fixups.append(f"{f.attr}: ForeignKey, not OneToOneField (its unique index is partial)")

    def singular_class_names(self):
        """``Tickets`` -> ``Ticket``: only the class name changes (db_table and db_column stay exact).

        A rename happens only when the last word has a plural ending of the rules in ``singular()``
        and the new name is free (no other model, no clash with a field): otherwise the name stays
        inspectdb's. The models are renamed in sorted order of their old names, so the result is
        the same on every run.
        """
        taken = set(self.by_name)
        renames: dict[str, str] = {}
        for old in sorted(self.by_name):
            m = self.by_name[old]
            new = singular(old)
            if new == old or new in taken or keyword.iskeyword(new) or new == "Meta" \
                    or any(f.attr == new for f in m.fields):
                continue
            taken.discard(old)
            taken.add(new)
            renames[old] = new
        for old, new in renames.items():
            m = self.by_name.pop(old)
            m.name = new
            self.by_name[new] = m
            m.fixups.append(f"class {new} (inspectdb: {old}; db_table {m.db_table!r} unchanged)")
        for m in self.models:
            for f in m.fields:
                if f.is_rel and f.args:
                    ref = f.args[0].strip("'\"")
                    if ref in renames:
                        f.args[0] = f.args[0].replace(ref, renames[ref])

    def related_names(self):
        """Several FKs from one model to the same model need reverse names; write them explicitly.

        Default: ``<model>_as_<field>``. With ``idiomatic_names``: ``<table>_<participle>`` where the
        field name says the role (``reporter`` -> ``tickets_reported``, ``assigned_to`` ->
        ``tickets_assigned``, ``created_by`` -> ``tickets_created``), else ``<table>_as_<field>``;
        a name that would repeat within the group, or clash with a field of the target model, falls
        back to the ``_as_`` form, so reverse accessors stay unique and deterministic.
        """
        for m in self.models:
            groups: dict[str, list[FieldSrc]] = {}
            for f in m.fields:
                if f.is_rel:
                    groups.setdefault(f.args[0].strip("'\""), []).append(f)
            for target, fs in groups.items():
                if len(fs) < 2:
                    continue
                names = {f.attr: f"{m.name.lower()}_as_{f.attr}" for f in fs}
                if self.idiomatic_names:
                    base = m.db_table.lower() if m.db_table.isidentifier() else m.name.lower()
                    tm = self.by_name.get(m.name if target == "self" else target)
                    target_attrs = {g.attr for g in tm.fields} if tm else set()
                    wanted = {f.attr: f"{base}_{role_participle(f.attr)}" for f in fs if role_participle(f.attr)}
                    counts = Counter(wanted.values())
                    for attr, name in wanted.items():
                        if counts[name] == 1 and name not in target_attrs and name.isidentifier():
                            names[attr] = name
                    names = {a: (n if "_as_" not in n else f"{base}_as_{a}") for a, n in names.items()}
                for f in fs:
                    name = names[f.attr]
                    if f.kwargs.get("related_name") != repr(name):
                        f.kwargs["related_name"] = repr(name)
                        m.fixups.append(f"related_name {name}")

    # -- Meta
    def _colmap(self, m, t):
        out = {}
        for f in m.fields:
            if f.column is not None and t.column(f.column):
                col = t.column(f.column)
                out[f.column] = (f.attr + "_id" if f.is_rel else f.attr, col.type, col.notnull)
        return out

    def _attr(self, m, column):
        f = m.by_column(column)
        return f.attr if f else None

    def constraints(self, m, t):
        colmap = self._colmap(m, t)
        m.meta.pop("unique_together", None)
        for con in sorted(t.constraints, key=lambda c: c.name):
            if con.type == "u":
                attrs = [self._attr(m, c) for c in con.columns]
                f = m.by_column(con.columns[0]) if len(con.columns) == 1 else None
                if f is not None and f.ftype == "OneToOneField":
                    self.add(t.name, f.column, "info", "unique-name",
                             f"unique constraint {con.name} is implied by the OneToOneField; Django would name it "
                             "differently", "none (prove compares by definition)")
                    continue
                if None in attrs:
                    continue
                extra = ""
                if con.deferrable:
                    extra += ", deferrable=models.Deferrable." + ("DEFERRED" if con.deferred else "IMMEDIATE")
                if "NULLS NOT DISTINCT" in con.definition:
                    extra += ", nulls_distinct=False"
                m.constraints.append(f"models.UniqueConstraint(fields={attrs!r}, name={con.name!r}{extra})")
                m.fixups.append(f"unique {con.name}")
            elif con.type == "c":
                body = re.fullmatch(r"CHECK \((.*)\)( NOT VALID)?", con.definition)
                problem = None
                if body is None or body.group(2):
                    problem = "NOT VALID check" if body else "unrecognised check"
                else:
                    try:
                        q = self.to_q(body.group(1), colmap)
                        m.constraints.append(f"models.CheckConstraint(condition={q}, name={con.name!r})")
                        m.fixups.append(f"check {con.name}")
                    except exprs.Untranslatable as exc:
                        problem = str(exc)
                if problem:
                    self.add(t.name, ",".join(con.columns), "blocker", "check-not-expressible",
                             f"{con.name}: {con.definition} cannot be translated safely ({problem}); without it "
                             "--fake-initial would record a table without this check",
                             "keep unmanaged, or hand-write the CheckConstraint and re-run prove",
                             keep=f"check {con.name}")
            elif con.type == "x":
                self.add(t.name, ",".join(con.columns), "blocker", "exclusion-constraint",
                         f"{con.name}: {con.definition} is not carried into Meta",
                         "hand-write django.contrib.postgres ExclusionConstraint and re-run prove, or keep unmanaged",
                         keep=f"exclusion {con.name}")

    def indexes(self, m, t):
        colmap = self._colmap(m, t)
        for ix in sorted(t.indexes, key=lambda i: i.name):
            if ix.constraint or ix.primary:
                continue
            if ix.unique and len(ix.key_columns) == 1 and ix.key_columns[0] and not ix.predicate:
                f = m.by_column(ix.key_columns[0])
                if f is not None and f.ftype == "OneToOneField":
                    continue
            try:
                src = self.index_source(ix, colmap, m)
            except exprs.Untranslatable as exc:
                self.add(t.name, ",".join(c or "expr" for c in ix.key_columns), "blocker", "index-not-expressible",
                         f"index {ix.name}: {ix.definition} cannot be expressed in Meta ({exc}); without it "
                         "--fake-initial would record a table without this index",
                         "keep unmanaged, or hand-write the index in Meta and re-run prove", keep=f"index {ix.name}")
                continue
            if ix.unique:
                m.constraints.append(src)
            else:
                m.indexes.append(src)
                if len(ix.name) > 30 or not ix.name[0].isalpha():
                    self.long_index_names.append(ix.name)
            m.fixups.append(f"{'unique ' if ix.unique else ''}index {ix.name}")

    def index_source(self, ix, colmap, m) -> str:
        if not ix.valid:
            raise exprs.Untranslatable("index is INVALID")
        if ix.n_include:
            raise exprs.Untranslatable("INCLUDE columns")
        if not all(ix.default_opclass):
            raise exprs.Untranslatable("non-default operator class")
        if any(d != n for d, n in zip(ix.descending, ix.nulls_first)):
            raise exprs.Untranslatable("non-default NULLS FIRST/LAST")
        cond = ""
        if ix.predicate:
            cond = ", condition=" + self.to_q(ix.predicate, colmap)
        plain = all(ix.key_columns)
        if ix.method != "btree":
            cls = INDEX_CLASSES.get(ix.method)
            if cls is None or ix.unique or not plain or any(ix.descending):
                raise exprs.Untranslatable(f"{ix.method} index")
            self.uses.add(cls)
            return f"{cls}(fields={[self._attr(m, c) for c in ix.key_columns]!r}, name={ix.name!r}{cond})"
        if plain and not ix.unique:
            names = [("-" if d else "") + self._attr(m, c) for c, d in zip(ix.key_columns, ix.descending)]
            return f"models.Index(fields={names!r}, name={ix.name!r}{cond})"
        if plain and ix.unique and ix.predicate and not any(ix.descending):
            return f"models.UniqueConstraint(fields={[self._attr(m, c) for c in ix.key_columns]!r}, " \
                   f"name={ix.name!r}{cond})"
        # Expression form. A unique index on plain columns is written as
        # UniqueConstraint(F(...)) on purpose: with fields=[...] Django would
        # create a UNIQUE *constraint*, which is not what the database has (and
        # a later DROP CONSTRAINT on an index fails). PostgreSQL stores an
        # index key "(col)" as a plain column, so the definition is identical.
        keys = []
        for col, key_def, desc in zip(ix.key_columns, ix.key_defs, ix.descending):
            if col:
                self.uses.add("F")
                k = f"F({colmap[col][0]!r})"
            else:
                k = exprs.index_key(key_def, colmap, self.uses)
            keys.append(k + (".desc()" if desc else ""))
        cls = "models.UniqueConstraint" if ix.unique else "models.Index"
        return f"{cls}({', '.join(keys)}, name={ix.name!r}{cond})"
