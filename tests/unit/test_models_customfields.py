"""Types Django has no field for get a small field class in fields.py, and their tables prove exact."""

from django_takeover.generate import generate
from django_takeover.prove import prove


def test_char_real_timestamp_and_domain_tables_are_retirable(pg_cluster, tmp_path):
    dsn = pg_cluster.create_database(sql="""
        CREATE DOMAIN varchar_ci AS varchar(255) NOT NULL DEFAULT ''::character varying;
        CREATE TABLE codes (code char(3) PRIMARY KEY, label varchar(20));
        CREATE TABLE t (
            id serial PRIMARY KEY,
            code char(3) REFERENCES codes (code),
            flags char(8) NOT NULL DEFAULT 'xxxxxxxx',
            ratio real DEFAULT 0.5,
            seen timestamp without time zone NOT NULL DEFAULT now(),
            username varchar_ci,
            CONSTRAINT t_ratio CHECK (ratio >= 0));
    """)
    r = generate(dsn, "public", "app", fields_py=True)
    assert r.audit["keep_unmanaged"] == [], r.audit_markdown
    src = r.models_source
    assert "from .fields import FixedCharField, NaiveDateTimeField, RealField, VarcharCiField" in src
    assert "code = models.ForeignKey(Codes, models.DO_NOTHING, db_column='code'" in src
    assert "flags = FixedCharField(max_length=8, db_default='xxxxxxxx')" in src
    assert "seen = NaiveDateTimeField(db_default=TransactionNow())" in src
    assert "username = VarcharCiField(" in src
    assert "def db_type(self, connection):\n        return 'varchar_ci'" in r.fields_source
    # The audit never advises a type change that would drop the domain's behaviour.
    assert "varchar(255)" not in r.audit_markdown and "character varying(255)" not in r.audit_markdown
    assert {f["column"] for f in r.audit["findings"] if f["code"] == "custom-field"} >= {"flags", "ratio", "seen",
                                                                                        "username"}
    (tmp_path / "models.py").write_text(src)
    (tmp_path / "fields.py").write_text(r.fields_source)
    report = prove(dsn, tmp_path / "models.py", "app")
    assert report.ok, report.render()
    assert report.by_status("exact") == ["codes", "t"]
