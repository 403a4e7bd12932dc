from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.lineage import ColumnMapping, LineageEdge, LineageFindings, Origin
from worker.core.lineage.sql import parse_sql_text
from worker.services.lineage.source_files import parse_query_history, parse_sql_files

FIXTURES = Path(__file__).parents[1] / "fixtures" / "lineage"
STAGES = FIXTURES / "snowflake" / "00_stages.sql"
LOAD = FIXTURES / "snowflake" / "10_load_raw.sql"
UNLOAD = FIXTURES / "snowflake" / "20_unload.sql"
POSTGRES = FIXTURES / "postgres" / "export_appdb.sql"
REDSHIFT = FIXTURES / "redshift" / "unload_sales.sql"
HISTORY = FIXTURES / "history"


def at(path: Path, line: int) -> str:
    return f"{path}:{line}"


def edge(findings: LineageFindings, source: str, target: str) -> LineageEdge:
    matches = [e for e in findings.edges if e.source.uri == source and e.target.uri == target]
    assert len(matches) == 1, [e.name for e in findings.edges]
    return matches[0]


def hops(findings: LineageFindings) -> list[tuple[str, str, str | None]]:
    return [(e.source.uri, e.target.uri, e.location) for e in findings.edges]


def problems(findings: LineageFindings) -> list[tuple[str, str]]:
    return [(p.location, p.reason) for p in findings.problems]


def m(
    source: str, target: str, expression: str | None = None, masked: bool = False
) -> ColumnMapping:
    return ColumnMapping(source, target, expression, masked)


@pytest.fixture(scope="module")
def snowflake() -> LineageFindings:
    return parse_sql_files([STAGES, LOAD, UNLOAD])


@pytest.fixture(scope="module")
def postgres() -> LineageFindings:
    return parse_sql_files([POSTGRES])


# --- Snowflake -------------------------------------------------------------------------


def test_snowflake_edges_are_exactly_the_copy_statements(snowflake: LineageFindings) -> None:
    assert hops(snowflake) == [
        ("s3://acme-lake/raw/appdb/customers/", "snowflake:RAW.LANDING.CUSTOMERS", at(LOAD, 7)),
        (
            "s3://acme-lake/raw/appdb/contacts/",
            "snowflake:RAW.LANDING.CUSTOMER_CONTACTS",
            at(LOAD, 14),
        ),
        ("s3://acme-events/firehose/", "snowflake:RAW.LANDING.EVENTS", at(LOAD, 26)),
        ("s3://acme-lake/raw/appdb/orders/", "snowflake:RAW.LANDING.ORDERS", at(LOAD, 35)),
        (
            "s3://partner-drop/acme/feed_2024-06-01.csv",
            "snowflake:RAW.LANDING.PARTNER_FEED",
            at(LOAD, 45),
        ),
        (
            "snowflake:ANALYTICS.MARTS.ORDERS",
            "s3://acme-lake/exports/snowflake/orders_enriched/",
            at(UNLOAD, 5),
        ),
        (
            "snowflake:ANALYTICS.MARTS.CUSTOMERS",
            "s3://acme-lake/exports/snowflake/orders_enriched/",
            at(UNLOAD, 5),
        ),
        (
            "snowflake:ANALYTICS.MARTS.DAILY_REVENUE",
            "s3://acme-lake/exports/snowflake/daily_revenue/",
            at(UNLOAD, 21),
        ),
    ]
    assert all(e.origin is Origin.SQL and e.confidence == 1.0 for e in snowflake.edges)


def test_snowflake_load_resolves_a_stage_created_in_another_file(
    snowflake: LineageFindings,
) -> None:
    customers = edge(
        snowflake, "s3://acme-lake/raw/appdb/customers/", "snowflake:RAW.LANDING.CUSTOMERS"
    )
    assert customers.sql == (
        "COPY INTO raw.landing.customers\n"
        "  FROM @raw_stage/appdb/customers/\n"
        "  FILE_FORMAT = (FORMAT_NAME = 'raw.landing.csv_gz')\n"
        "  ON_ERROR = 'ABORT_STATEMENT'\n"
        "  PURGE = FALSE"
    )
    # Without 00_stages.sql the same statement cannot be resolved.
    alone = parse_sql_files([LOAD])
    assert (at(LOAD, 7), "stage @raw_stage is not defined in the given files") in problems(alone)
    assert "s3://acme-lake/raw/appdb/customers/" not in {e.source.uri for e in alone.edges}


def test_duplicate_hop_keeps_first_location_and_merges_columns(
    snowflake: LineageFindings,
) -> None:
    # Statement 9 (line 65) reloads the same files into the same table with a column list.
    customers = edge(
        snowflake, "s3://acme-lake/raw/appdb/customers/", "snowflake:RAW.LANDING.CUSTOMERS"
    )
    assert customers.location == at(LOAD, 7)
    assert customers.sql is not None and customers.sql.startswith(
        "COPY INTO raw.landing.customers\n"
    )
    assert customers.columns == (m("$1", "CUSTOMER_ID"), m("$2", "EMAIL"))


def test_snowflake_load_transform_maps_positions_and_masking(snowflake: LineageFindings) -> None:
    contacts = edge(
        snowflake, "s3://acme-lake/raw/appdb/contacts/", "snowflake:RAW.LANDING.CUSTOMER_CONTACTS"
    )
    # metadata$filename → LOADED_FROM reads no file column: no mapping.
    assert contacts.columns == (
        m("$1", "CUSTOMER_ID", "c.$1::number"),
        m("$2", "EMAIL_SHA256", "sha2(lower(trim(c.$2)), 256)", masked=True),
        m("$3", "PHONE_MASKED", "regexp_replace(c.$3, '[0-9]', 'X')", masked=True),
        m("$4", "COUNTRY"),
    )
    events = edge(snowflake, "s3://acme-events/firehose/", "snowflake:RAW.LANDING.EVENTS")
    # The stage URL has no trailing slash; /2024/ is a partition folder folded away.
    assert events.columns == (
        m("id", "EVENT_ID", "$1:id::string"),
        m("user.email", "USER_EMAIL_HASH", "to_varchar(md5($1:user.email::string))", masked=True),
        m("type", "EVENT_TYPE"),
        m("$1", "PAYLOAD"),
    )


def test_snowpipe_copy_is_an_edge_located_at_the_pipe(snowflake: LineageFindings) -> None:
    orders = edge(snowflake, "s3://acme-lake/raw/appdb/orders/", "snowflake:RAW.LANDING.ORDERS")
    assert orders.sql is not None
    assert orders.sql.startswith("CREATE OR REPLACE PIPE raw.landing.orders_pipe")
    assert orders.columns == ()


def test_snowflake_unload_maps_the_projection_per_source_table(snowflake: LineageFindings) -> None:
    target = "s3://acme-lake/exports/snowflake/orders_enriched/"
    key = "o.order_id || '-' || c.customer_id"
    orders = edge(snowflake, "snowflake:ANALYTICS.MARTS.ORDERS", target)
    assert orders.columns == (
        m("ORDER_ID", "ORDER_ID"),
        m("AMOUNT", "ORDER_AMOUNT"),
        m("ORDER_ID", "ORDER_KEY", key),
    )
    customers = edge(snowflake, "snowflake:ANALYTICS.MARTS.CUSTOMERS", target)
    assert customers.columns == (
        m("EMAIL", "CUSTOMER_EMAIL_HASH", "sha2(c.email)", masked=True),
        m("COUNTRY", "COUNTRY"),
        m("CUSTOMER_ID", "ORDER_KEY", key),
    )
    assert orders.sql == customers.sql
    assert orders.sql is not None and orders.sql.endswith("MAX_FILE_SIZE = 268435456")


def test_snowflake_problems_have_specific_reasons(snowflake: LineageFindings) -> None:
    assert problems(snowflake) == [
        (at(LOAD, 56), "stage @legacy_stage is not defined in the given files"),
        (at(LOAD, 59), "stage @adhoc_stage is an internal stage (no S3 URL)"),
        (
            at(LOAD, 62),
            "sqlglot: Required keyword: 'this' missing for <class "
            "'sqlglot.expressions.core.Paren'> (statement line 1, column 102)",
        ),
    ]
    assert snowflake.problems[0].statement == (
        "COPY INTO raw.landing.legacy_accounts FROM @legacy_stage/accounts/"
    )


def test_unqualified_table_needs_defaults() -> None:
    sql = "-- partner drop\nCOPY INTO customers FROM 's3://partner-drop/acme/customers/';\n"
    none = parse_sql_text(sql, "adhoc.sql")
    assert none.edges == []
    assert problems(none) == [
        ("adhoc.sql:2", "table name customers has no schema and no default schema")
    ]
    schema_only = parse_sql_text(sql, "adhoc.sql", default_schema="landing")
    assert problems(schema_only) == [
        ("adhoc.sql:2", "table name customers has no database and no default database")
    ]
    both = parse_sql_text(sql, "adhoc.sql", default_database="raw", default_schema="landing")
    assert hops(both) == [
        ("s3://partner-drop/acme/customers/", "snowflake:RAW.LANDING.CUSTOMERS", "adhoc.sql:2")
    ]


def test_use_statements_set_the_defaults_for_later_statements() -> None:
    sql = (
        "COPY INTO a FROM 's3://b/a/';\n"
        "USE DATABASE analytics;\n"
        "COPY INTO b FROM 's3://b/b/';\n"
        "USE raw.landing;\n"
        "COPY INTO c FROM 's3://b/c/';\n"
        "USE SCHEMA staging;\n"
        "COPY INTO d FROM 's3://b/d/';\n"
    )
    found = parse_sql_text(sql, "u.sql", default_database="x", default_schema="y")
    assert [e.target.uri for e in found.edges] == [
        "snowflake:X.Y.A",
        "snowflake:ANALYTICS.PUBLIC.B",  # USE DATABASE makes PUBLIC current
        "snowflake:RAW.LANDING.C",
        "snowflake:RAW.STAGING.D",
    ]


def test_given_stages_and_splitting_around_quotes_and_comments() -> None:
    sql = (
        "/* header; with a semicolon */\n"
        "INSERT INTO audit VALUES ('a;b', $$c;d$$);  -- trailing; comment\n"
        "\n"
        "copy into Analytics.Public.Clicks\n"
        "  from @Ext_Stage/clicks/dt=2024-06-01/ -- today's partition\n"
        "  file_format = (type = csv field_delimiter = ';' escape = '\\'');\n"
        "COPY INTO analytics.public.views FROM @ext_stage/views/;\n"
    )
    found = parse_sql_text(sql, "inline.sql", stages={"raw.landing.ext_stage": "s3://ext/in"})
    assert hops(found) == [
        ("s3://ext/in/clicks/", "snowflake:ANALYTICS.PUBLIC.CLICKS", "inline.sql:4"),
        ("s3://ext/in/views/", "snowflake:ANALYTICS.PUBLIC.VIEWS", "inline.sql:7"),
    ]
    assert found.problems == []


def test_dynamic_sql_and_unsupported_positions_are_problems() -> None:
    sql = (
        "CREATE TABLE t2 COPY GRANTS AS SELECT 1;\n"
        "INSERT INTO log VALUES ('COPY INTO x FROM @y');\n"
        "EXECUTE IMMEDIATE 'COPY INTO a.b.c FROM @s';\n"
        "EXPLAIN COPY INTO a.b.c FROM @s;\n"
    )
    found = parse_sql_text(sql, "d.sql", dialect="snowflake")
    assert found.edges == []
    assert problems(found) == [
        ("d.sql:3", "the statement builds lineage SQL in a string (dynamic SQL); not parsed"),
        ("d.sql:4", "COPY after EXPLAIN is not a supported form"),
    ]


def test_snowflake_procedure_body_is_parsed() -> None:
    sql = (
        "CREATE OR REPLACE PROCEDURE raw.landing.load_fx() RETURNS STRING LANGUAGE SQL AS\n"
        "$$\n"
        "BEGIN\n"
        "  COPY INTO raw.landing.fx_rates FROM 's3://acme-lake/reference/fx_rates/';\n"
        "  RETURN 'ok';\n"
        "END;\n"
        "$$;\n"
    )
    found = parse_sql_text(sql, "proc.sql", dialect="snowflake")
    assert hops(found) == [
        ("s3://acme-lake/reference/fx_rates/", "snowflake:RAW.LANDING.FX_RATES", "proc.sql:4")
    ]
    assert found.edges[0].sql == (
        "COPY INTO raw.landing.fx_rates FROM 's3://acme-lake/reference/fx_rates/'"
    )


@pytest.mark.parametrize(
    ("expression", "masked"),
    [
        ("sha1(email)", True),
        ("md5_hex(email)", True),
        ("hash(email)", True),
        ("to_varchar(sha2(email), 'HEX')", True),
        ("encrypt(email, 'passphrase')", True),
        ("util.mask_email(email)", True),
        ("regexp_replace(email, '.+@', '***@')", True),
        ("upper(email)", False),
        ("left(email, 3) || '***'", False),
        ("sha2(email) || email", False),  # the clear copy leaks it
    ],
)
def test_masking_functions(expression: str, masked: bool) -> None:
    sql = f"COPY INTO 's3://b/out/' FROM (SELECT {expression} AS e FROM a.b.t)"
    (found,) = parse_sql_text(sql, "m.sql").edges
    assert found.columns == (m("EMAIL", "E", expression, masked),)


# --- PostgreSQL ------------------------------------------------------------------------


def test_postgres_edges_are_exactly_the_exports(postgres: LineageFindings) -> None:
    lake = "s3://acme-lake/raw/appdb"
    assert hops(postgres) == [
        ("postgres:appdb.app.customers", f"{lake}/customers/customers.csv", at(POSTGRES, 7)),
        ("postgres:appdb.app.orders", f"{lake}/orders/orders.csv", at(POSTGRES, 21)),
        ("postgres:appdb.app.customers", f"{lake}/orders/orders.csv", at(POSTGRES, 21)),
        ("postgres:appdb.billing.invoices", f"{lake}/invoices/invoices.csv", at(POSTGRES, 34)),
        ("postgres:appdb.app.refunds", f"{lake}/refunds/refunds.csv", at(POSTGRES, 48)),
        ("postgres:appdb.app.suppliers", f"{lake}/suppliers/suppliers.csv.gz", at(POSTGRES, 66)),
        ("postgres:appdb.app.countries", f"{lake}/countries/countries.csv", at(POSTGRES, 73)),
        ("postgres:appdb.app.currencies", f"{lake}/currencies/currencies.csv", at(POSTGRES, 75)),
    ]


def test_rds_export_of_a_dollar_quoted_query_maps_and_masks(postgres: LineageFindings) -> None:
    customers = edge(
        postgres,
        "postgres:appdb.app.customers",
        "s3://acme-lake/raw/appdb/customers/customers.csv",
    )
    assert customers.columns == (
        m("id", "customer_id"),
        m("email", "email_sha256", "encode(digest(lower(email), 'sha256'), 'hex')", True),
        m("phone", "phone", "md5(phone)", masked=True),
        m("country", "country"),
        m("created_at", "created_at"),
    )
    assert customers.sql is not None and customers.sql.startswith("SELECT *\nFROM aws_s3.")
    assert customers.sql.endswith("options := 'format csv, header true'\n)")


def test_rds_export_join_gives_one_edge_per_table(postgres: LineageFindings) -> None:
    target = "s3://acme-lake/raw/appdb/orders/orders.csv"
    orders = edge(postgres, "postgres:appdb.app.orders", target)
    assert orders.columns == (m("id", "order_id"), m("amount", "amount"), m("status", "status"))
    customers = edge(postgres, "postgres:appdb.app.customers", target)
    assert customers.columns == (m("country", "country"),)


def test_rds_export_through_a_psql_gset_variable(postgres: LineageFindings) -> None:
    invoices = edge(
        postgres,
        "postgres:appdb.billing.invoices",
        "s3://acme-lake/raw/appdb/invoices/invoices.csv",
    )
    assert invoices.columns == (
        m("invoice_id", "invoice_id"),
        m("customer_id", "customer_id"),
        m("total_amount", "total_amount"),
    )
    unset = parse_sql_text(
        "SELECT * FROM aws_s3.query_export_to_s3('SELECT 1 FROM t', :'s3_uri');",
        "v.sql",
        default_database="appdb",
        default_schema="public",
    )
    assert problems(unset) == [
        (
            "v.sql:1",
            "the S3 location is the psql variable :'s3_uri', which no "
            "'SELECT aws_commons.create_s3_uri(...) AS s3_uri \\gset' sets",
        )
    ]


def test_rds_export_inside_a_do_block(postgres: LineageFindings) -> None:
    refunds = edge(
        postgres, "postgres:appdb.app.refunds", "s3://acme-lake/raw/appdb/refunds/refunds.csv"
    )
    assert refunds.sql is not None and refunds.sql.startswith("PERFORM aws_s3.query_export_to_s3(")
    assert (
        at(POSTGRES, 44),
        "the S3 location is not aws_commons.create_s3_uri('bucket', 'path', 'region') "
        "with literal arguments",
    ) in problems(postgres)


def test_copy_to_program(postgres: LineageFindings) -> None:
    lake = "s3://acme-lake/raw/appdb"
    suppliers = edge(postgres, "postgres:appdb.app.suppliers", f"{lake}/suppliers/suppliers.csv.gz")
    assert suppliers.columns == (
        m("code", "code"),
        m("name", "name"),
        m("vat_number", "vat_number_hash", "md5(vat_number)", masked=True),
    )
    countries = edge(postgres, "postgres:appdb.app.countries", f"{lake}/countries/countries.csv")
    assert countries.columns == (m("iso_code", "iso_code"), m("name", "name"))
    currencies = edge(
        postgres, "postgres:appdb.app.currencies", f"{lake}/currencies/currencies.csv"
    )
    assert currencies.sql == (
        "\\copy currencies TO PROGRAM 'aws s3 cp - s3://acme-lake/raw/appdb/currencies/"
        "currencies.csv' WITH (FORMAT csv, HEADER)"
    )


def test_postgres_problems(postgres: LineageFindings) -> None:
    assert problems(postgres) == [
        (
            at(POSTGRES, 44),
            "the S3 location is not aws_commons.create_s3_uri('bucket', 'path', 'region') "
            "with literal arguments",
        ),
        (at(POSTGRES, 78), "writes a local file; no S3 location"),
        (at(POSTGRES, 81), "no s3:// location in the program"),
    ]


def test_copy_from_program_and_streams() -> None:
    sql = (
        "COPY public.fx FROM PROGRAM 'aws s3 cp s3://acme-lake/reference/fx.csv -' CSV;\n"
        "COPY public.fx FROM STDIN;\n"
        "COPY public.fx TO STDOUT;\n"
    )
    found = parse_sql_text(sql, "p.sql", default_database="appdb")
    assert hops(found) == [
        ("s3://acme-lake/reference/fx.csv", "postgres:appdb.public.fx", "p.sql:1")
    ]
    assert problems(found) == [
        ("p.sql:2", "reads stdin; no S3 location"),
        ("p.sql:3", "writes stdout; no S3 location"),
    ]


# --- Redshift --------------------------------------------------------------------------


def test_redshift_unload_and_copy() -> None:
    found = parse_sql_files([REDSHIFT])
    assert hops(found) == [
        ("redshift:dev.sales.sales", "s3://acme-lake/exports/redshift/sales/", at(REDSHIFT, 2)),
        ("s3://acme-lake/reference/fx_rates/", "redshift:dev.staging.fx_rates", at(REDSHIFT, 12)),
    ]
    sales = found.edges[0]
    assert sales.columns == (
        m("sale_id", "sale_id"),
        m("amount", "amount"),
        m("buyer_email", "buyer_email_hash", "func_sha1(s.buyer_email)", masked=True),
        m("sale_date", "sale_date"),
    )
    assert problems(found) == [
        (at(REDSHIFT, 18), "table name returns has no schema and no default schema")
    ]
    defaults = parse_sql_files([REDSHIFT], default_database="dev", default_schema="sales")
    assert hops(defaults)[-1] == (
        "redshift:dev.sales.returns",
        "s3://acme-lake/exports/redshift/returns/",
        at(REDSHIFT, 18),
    )
    assert defaults.edges[-1].columns == ()  # SELECT *: columns unknown


# --- Query history ---------------------------------------------------------------------


def test_history_csv() -> None:
    path = HISTORY / "snowflake_query_history.csv"
    found = parse_query_history(path)
    ids = "01b4f0c2-0604-8a1e-0000-2f1d0001a0"
    assert hops(found) == [
        # Stage created by a later row (earlier in time); the next day's rerun is deduplicated.
        ("s3://partner-drop/acme/customers/", "snowflake:RAW.LANDING.CUSTOMERS", f"{path}#{ids}b2"),
        (
            "snowflake:ANALYTICS.MARTS.CUSTOMERS",
            "s3://acme-lake/exports/snowflake/customers_export/",
            f"{path}#{ids}91",
        ),
    ]
    assert found.edges[1].columns == (
        m("CUSTOMER_ID", "CUSTOMER_ID"),
        m("EMAIL", "EMAIL_MD5", "md5(email)", masked=True),
        m("Segment", "Segment"),
    )
    assert problems(found) == [
        (
            f"{path}#{ids}8c",
            "the query did not succeed (EXECUTION_STATUS=FAIL): Number of columns in file (12) "
            "does not match that of the corresponding table (11), use file format option "
            "error_on_column_count_mismatch=false to ignore this error",
        ),
        (
            f"{path}#{ids}7e",
            "sqlglot: Required keyword: 'value' missing for <class "
            "'sqlglot.expressions.properties.Property'> (statement line 1, column 106)",
        ),
        (f"{path}#{ids}6d", "table name shipments_tmp has no schema and no default schema"),
    ]


def test_history_json() -> None:
    path = HISTORY / "snowflake_query_history.json"
    found = parse_query_history(path)
    ids = "01b4f1aa-0604-8b2c-0000-2f1d0002b00"
    assert hops(found) == [
        ("s3://acme-lake/raw/events/", "snowflake:RAW.LANDING.EVENTS", f"{path}#{ids}1"),
        (
            "snowflake:ANALYTICS.ML.CHURN_SCORES",
            "s3://acme-lake/exports/snowflake/churn/",
            f"{path}#{ids}3",
        ),
    ]
    assert found.edges[0].columns == (
        m("id", "EVENT_ID"),
        m("user.email", "USER_EMAIL_HASH", "sha2($1:user.email)", masked=True),
    )
    assert problems(found) == [
        (f"{path}#{ids}4", "stage @missing_stage is not defined in the given files"),
        (f"{path}#{ids}5", "the row has no QUERY_TEXT"),
    ]


def test_history_json_lines() -> None:
    path = HISTORY / "snowflake_query_history.jsonl"
    found = parse_query_history(path)
    assert hops(found) == [
        (
            "s3://acme-lake/raw/appdb/orders/",
            "snowflake:RAW.LANDING.ORDERS",
            f"{path}#01b4f2bb-0604-8c3d-0000-2f1d0003c001",
        )
    ]
    assert problems(found) == [(f"{path}:2", "not JSON: Unterminated string starting at")]


def test_history_formats_and_bad_files(tmp_path: Path) -> None:
    no_text = tmp_path / "history.csv"
    no_text.write_text("QUERY_ID,SQL\n1,COPY INTO a.b.c FROM 's3://b/k/'\n", encoding="utf-8")
    assert problems(parse_query_history(no_text)) == [
        (str(no_text), "the CSV has no QUERY_TEXT column")
    ]
    not_list = tmp_path / "history.json"
    not_list.write_text(json.dumps({"query_text": "select 1"}), encoding="utf-8")
    assert problems(parse_query_history(not_list)) == [
        (str(not_list), "the JSON document is not a list of query objects")
    ]
    lines = tmp_path / "export.json"  # JSON Lines under a .json name; upper-case keys
    lines.write_text(
        json.dumps({"QUERY_TEXT": "COPY INTO t FROM 's3://b/k/'", "SCHEMA_NAME": "S"})
        + "\n"
        + json.dumps(
            {"QUERY_TEXT": "COPY INTO t FROM 's3://b/k/'", "DATABASE_NAME": "D", "SCHEMA_NAME": "S"}
        )
        + "\n",
        encoding="utf-8",
    )
    found = parse_query_history(lines)
    assert hops(found) == [("s3://b/k/", "snowflake:D.S.T", f"{lines}#row-2")]
    assert problems(found) == [
        (f"{lines}#row-1", "table name t has no database and no default database")
    ]
    other = tmp_path / "history.xml"
    other.write_text("<queries/>", encoding="utf-8")
    assert problems(parse_query_history(other)) == [
        (str(other), "unsupported query-history format '.xml'")
    ]


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.sql"
    latin.write_bytes(b"-- caf\xe9\nCOPY INTO a.b.c FROM 's3://b/k/';\n")
    missing = tmp_path / "missing.sql"
    found = parse_sql_files([latin, missing, STAGES, UNLOAD])
    assert problems(found) == [
        (str(latin), "not UTF-8 text: invalid continuation byte at byte 6"),
        (str(missing), "cannot read the file: No such file or directory"),
    ]
    assert len(found.edges) == 3  # the readable files still count


def test_explicit_dialect_and_unknown_dialect() -> None:
    explicit = parse_sql_files([POSTGRES], dialect="postgres")
    assert hops(explicit) == hops(parse_sql_files([POSTGRES]))
    with pytest.raises(ValueError, match="postgresql9"):
        parse_sql_text("SELECT 1", "x.sql", dialect="postgresql9")
