from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from worker.adapters.catalog.database import SqlLocalCatalog, columns, objects
from worker.core.errors import ConfigError
from worker.services.lineage.infer import (
    S3Schema,
    TableSchema,
    column_weights,
    infer,
    normalise_column,
    read_postgres_tables,
    read_snowflake_schema_file,
    s3_schemas_from_catalog,
    score,
    type_compatibility,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lineage" / "infer"
SNOWFLAKE_CSV = FIXTURES / "snowflake_columns.csv"


def _s3(uri: str, cols: list[tuple[str, str]]) -> S3Schema:
    return S3Schema(Dataset.parse(uri), tuple(cols))


CUSTOMERS_EXPORT = _s3(
    "s3://lake/exports/customers/",
    [
        ("id", "int64"),
        ("email", "string"),
        ("first_name", "string"),
        ("last_name", "string"),
        ("phone", "string"),
        ("country", "string"),
        ("created_at", "timestamp[us]"),
        ("updated_at", "timestamp[us]"),
    ],
)
#: Written by a service that renames everything on the way out.
PRODUCTS_EXPORT = _s3(
    "s3://lake/exports/catalog_products/",
    [
        ("Id", "int64"),
        ("SKU", "string"),
        ("productName", "string"),
        ("c_category", "string"),
        ("unitPrice", "decimal128(10, 2)"),
        ("qtyOnHand", "int32"),
        ("isActive", "bool"),
        ("created_at", "timestamp[ms]"),
    ],
)
ORDER_ITEMS_EXPORT = _s3(
    "s3://lake/exports/order_items/",
    [
        ("id", "int64"),
        ("order_id", "int64"),
        ("product_id", "int64"),
        ("quantity", "int32"),
        ("unit_price", "double"),
        ("created_at", "timestamp[us]"),
    ],
)
#: Has no counterpart anywhere (only the generic id/created_at are shared).
SESSIONS_EXPORT = _s3(
    "s3://lake/exports/web_sessions/",
    [
        ("id", "string"),
        ("session_id", "string"),
        ("user_agent", "string"),
        ("ip_address", "string"),
        ("started_at", "timestamp[us]"),
        ("created_at", "timestamp[us]"),
    ],
)


@pytest.fixture
def appdb(postgres_url: str) -> str:
    """The application database: customers, orders, order_items, products, audit_log, decoy."""
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql((FIXTURES / "appdb.sql").read_text())
    finally:
        engine.dispose()
    return postgres_url


@pytest.fixture
def postgres_tables(appdb: str) -> list[TableSchema]:
    return read_postgres_tables(appdb, "appdb", ["public"])


@pytest.fixture
def snowflake_tables() -> list[TableSchema]:
    tables, problems = read_snowflake_schema_file(SNOWFLAKE_CSV)
    assert problems == []
    return tables


def _pairs(edges: list[LineageEdge]) -> list[tuple[str, str]]:
    return [(e.source.uri, e.target.uri) for e in edges]


def test_postgres_reader_reads_information_schema(postgres_tables: list[TableSchema]) -> None:
    assert [t.dataset.uri for t in postgres_tables] == [
        "postgres:appdb.public.audit_log",
        "postgres:appdb.public.customer_sync_state",
        "postgres:appdb.public.customers",
        "postgres:appdb.public.order_items",
        "postgres:appdb.public.orders",
        "postgres:appdb.public.products",
    ]  # billing.invoices is in another schema
    orders = postgres_tables[4]
    assert orders.columns == (
        ("id", "bigint"),
        ("customer_id", "bigint"),
        ("order_date", "date"),
        ("status", "character varying"),
        ("total_amount", "numeric"),
        ("currency", "character"),
        ("created_at", "timestamp with time zone"),
    )
    assert orders.location == "information_schema"


def test_postgres_reader_defaults_to_the_url_database_and_all_schemas(appdb: str) -> None:
    tables = read_postgres_tables(appdb, None, [])
    database = appdb.rsplit("/", 1)[1]

    assert f"postgres:{database}.billing.invoices" in {t.dataset.uri for t in tables}
    assert len(tables) == 7
    assert not any(".pg_catalog." in t.dataset.name for t in tables)


def test_postgres_reader_unreachable_server_is_a_config_error() -> None:
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/appdb"
    with pytest.raises(ConfigError) as info:
        read_postgres_tables(url, None, ["public"])
    assert "cannot read PostgreSQL tables from postgresql+psycopg://reader:***@" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_snowflake_reader_orders_columns_by_ordinal_position(
    snowflake_tables: list[TableSchema],
) -> None:
    by_name = {t.dataset.uri: t for t in snowflake_tables}

    assert sorted(by_name) == [
        "snowflake:ANALYTICS.PUBLIC.CUSTOMERS",
        "snowflake:ANALYTICS.PUBLIC.ETL_LOAD_LOG",
        "snowflake:ANALYTICS.PUBLIC.ORDERS",
        "snowflake:ANALYTICS.PUBLIC.ORDER_ITEMS",
        "snowflake:ANALYTICS.PUBLIC.PRODUCTS",
        "snowflake:ANALYTICS.RAW.EVENTS",
    ]
    # The fixture lists ORDERS' columns backwards.
    assert [c for c, _ in by_name["snowflake:ANALYTICS.PUBLIC.ORDERS"].columns] == [
        "ID",
        "CUSTOMER_ID",
        "ORDER_DATE",
        "STATUS",
        "TOTAL_AMOUNT",
        "CURRENCY",
        "CREATED_AT",
    ]
    assert {t.location for t in snowflake_tables} == {"snowflake_columns.csv"}


def test_snowflake_reader_reports_bad_rows_and_keeps_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text(
        "\ufefftable_catalog,table_schema,table_name,column_name,data_type\n"
        "ANALYTICS,PUBLIC,ORDERS,ID,NUMBER\n"
        "ANALYTICS,PUBLIC,ORDERS,STATUS,\n"
        "ANALYTICS,PUBLIC,ORDERS,ID,NUMBER\n"
        "\n"
        "ANALYTICS,PUBLIC,ORDERS,TOTAL,NUMBER\n",
        encoding="utf-8",
    )
    tables, problems = read_snowflake_schema_file(path)

    assert [(t.dataset.uri, t.columns) for t in tables] == [
        ("snowflake:ANALYTICS.PUBLIC.ORDERS", (("ID", "NUMBER"), ("TOTAL", "NUMBER")))
    ]
    assert [(p.location, p.reason) for p in problems] == [
        ("cols.csv:3", "row lacks DATA_TYPE"),
        ("cols.csv:4", "column 'ID' of snowflake:ANALYTICS.PUBLIC.ORDERS given twice"),
    ]

    path.write_text("TABLE_NAME,COLUMN_NAME\nORDERS,ID\n", encoding="utf-8")
    tables, problems = read_snowflake_schema_file(path)
    assert tables == []
    assert len(problems) == 1
    assert "TABLE_CATALOG, TABLE_SCHEMA, DATA_TYPE" in problems[0].reason

    tables, problems = read_snowflake_schema_file(tmp_path / "missing.csv")
    assert tables == [] and "FileNotFoundError" in problems[0].reason


def test_infer_chooses_the_right_tables_with_high_confidence(
    postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    s3 = [CUSTOMERS_EXPORT, PRODUCTS_EXPORT, ORDER_ITEMS_EXPORT, SESSIONS_EXPORT]
    found = infer(s3, postgres_tables, snowflake_tables, min_score=0.5)

    assert _pairs(found.edges) == [
        ("postgres:appdb.public.products", "s3://lake/exports/catalog_products/"),
        ("s3://lake/exports/catalog_products/", "snowflake:ANALYTICS.PUBLIC.PRODUCTS"),
        ("postgres:appdb.public.customers", "s3://lake/exports/customers/"),
        ("s3://lake/exports/customers/", "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"),
        ("postgres:appdb.public.order_items", "s3://lake/exports/order_items/"),
        ("s3://lake/exports/order_items/", "snowflake:ANALYTICS.PUBLIC.ORDER_ITEMS"),
    ]  # web_sessions has no counterpart: no edge at all
    assert found.problems == []
    for edge in found.edges:
        assert edge.origin is Origin.INFERRED
        assert edge.confidence >= 0.75, edge
        assert edge.location == (
            "information_schema" if edge.source.system.value == "postgres" else SNOWFLAKE_CSV.name
        )

    customers_pg, customers_sf = found.edges[2], found.edges[3]
    assert customers_pg.confidence >= 0.9
    assert customers_pg.reason.startswith(
        "8 of 8 columns match by name, covering 8 of 9 table columns, types compatible for 8; "
        "path 'exports/customers' ~ table 'customers' (1.00)"
    )
    assert customers_pg.columns[:2] == (ColumnMapping("id", "id"), ColumnMapping("email", "email"))
    # The Snowflake side hashes the e-mail into EMAIL_SHA: no mapping is invented for it.
    assert customers_sf.reason.startswith("7 of 8 columns match by name, covering 7 of 9 table")
    assert ColumnMapping("first_name", "FIRST_NAME") in customers_sf.columns
    assert not any(m.source == "email" for m in customers_sf.columns)
    assert customers_pg.confidence > customers_sf.confidence


def test_renamed_columns_still_match_by_normalised_name(
    postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    found = infer([PRODUCTS_EXPORT], postgres_tables, snowflake_tables, min_score=0.5)
    pg_edge, sf_edge = found.edges

    assert pg_edge.source.uri == "postgres:appdb.public.products"
    assert pg_edge.confidence >= 0.9
    assert "8 of 8 columns match by name (5 by normalised name)" in pg_edge.reason
    assert "path 'exports/catalog_products' ~ table 'products' (0.80)" in pg_edge.reason
    # First hop: PostgreSQL column -> S3 column.
    assert pg_edge.columns == (
        ColumnMapping("id", "Id"),
        ColumnMapping("sku", "SKU"),
        ColumnMapping("product_name", "productName"),
        ColumnMapping("category", "c_category"),
        ColumnMapping("unit_price", "unitPrice"),
        ColumnMapping("quantity_on_hand", "qtyOnHand"),
        ColumnMapping("is_active", "isActive"),
        ColumnMapping("created_at", "created_at"),
    )
    # Second hop: S3 column -> Snowflake column.
    assert sf_edge.target.uri == "snowflake:ANALYTICS.PUBLIC.PRODUCTS"
    assert sf_edge.columns[5] == ColumnMapping("qtyOnHand", "QUANTITY_ON_HAND")
    assert sf_edge.columns[3] == ColumnMapping("c_category", "CATEGORY")


def test_decoy_sharing_only_generic_columns_scores_low(
    postgres_tables: list[TableSchema],
) -> None:
    weights = column_weights(postgres_tables)
    decoy = next(t for t in postgres_tables if t.dataset.name.endswith(".customer_sync_state"))
    customers = next(t for t in postgres_tables if t.dataset.name.endswith(".customers"))

    value, reason, mappings = score(CUSTOMERS_EXPORT, decoy, weights=weights)
    assert value < 0.2, reason
    assert reason.startswith("2 of 8 columns match by name")
    assert [m.source for m in mappings] == ["id", "created_at"]
    assert score(CUSTOMERS_EXPORT, customers, weights=weights)[0] > 0.9
    # Even when the decoy is the only candidate, its name (~ customers) does not carry it.
    assert infer([CUSTOMERS_EXPORT], [decoy], [], min_score=0.5).edges == []
    # Generic names weigh less than rare ones.
    assert weights["id"] < 0.1 < weights["email"] == 1.0


def test_dataset_without_counterpart_gives_no_edge(
    postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    found = infer([SESSIONS_EXPORT], postgres_tables, snowflake_tables, min_score=0.5)
    assert found.edges == []
    # ... though it does share columns with everything; it is the score that keeps it out.
    best = max(score(SESSIONS_EXPORT, t)[0] for t in [*postgres_tables, *snowflake_tables])
    assert 0 < best < 0.5


def test_min_score_is_a_threshold(
    postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    found = infer([CUSTOMERS_EXPORT], postgres_tables, snowflake_tables, min_score=0.9)
    assert _pairs(found.edges) == [
        ("postgres:appdb.public.customers", "s3://lake/exports/customers/")
    ]
    assert infer([CUSTOMERS_EXPORT], postgres_tables, snowflake_tables, min_score=1.0).edges == []


def test_scores_are_deterministic_and_ties_go_to_the_smaller_name(
    postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    s3 = [CUSTOMERS_EXPORT, PRODUCTS_EXPORT, ORDER_ITEMS_EXPORT, SESSIONS_EXPORT]
    first = infer(s3, postgres_tables, snowflake_tables, min_score=0.5)
    again = infer(s3[::-1], postgres_tables[::-1], snowflake_tables[::-1], min_score=0.5)
    assert first.edges == again.edges

    public = next(t for t in snowflake_tables if t.dataset.name == "ANALYTICS.PUBLIC.CUSTOMERS")
    backup = TableSchema(
        Dataset.table("snowflake", "ANALYTICS", "BACKUP", "CUSTOMERS"), public.columns, "b.csv"
    )
    for tables in ([public, backup], [backup, public]):
        [edge] = infer([CUSTOMERS_EXPORT], [], tables, min_score=0.5).edges
        assert edge.target.uri == "snowflake:ANALYTICS.BACKUP.CUSTOMERS"
        assert edge.location == "b.csv"
        runner_up = f"; runner-up snowflake:ANALYTICS.PUBLIC.CUSTOMERS ({edge.confidence:.2f})"
        assert edge.reason.endswith(runner_up)


def test_name_and_type_rules() -> None:
    assert normalise_column("qtyOnHand") == normalise_column("quantity_on_hand")
    assert normalise_column("ORDER_NO") == normalise_column("order_number")
    assert normalise_column("src_customerKey") == normalise_column("customer_id")
    assert normalise_column("order_date") != normalise_column("order_ts")
    assert type_compatibility("int64", "NUMBER") == 1.0
    assert type_compatibility("timestamp[us, tz=UTC]", "timestamp with time zone") == 1.0
    assert type_compatibility("date32[day]", "TIMESTAMP_NTZ") == 0.75
    assert type_compatibility("string", "VARIANT") == 0.75
    assert type_compatibility("string", "bigint") == 0.5
    assert type_compatibility("bool", "date") == 0.0
    assert type_compatibility("interval", "integer") == 0.5  # 'interval' is not an integer


def _object(uri: str, scanned: datetime, status: str = "classified") -> dict[str, object]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return {"uri": uri, "bucket": bucket, "key": key, "status": status, "scanned_at": scanned}


def test_schemas_from_a_real_local_catalog_fold_partitions(
    tmp_path: Path, postgres_tables: list[TableSchema], snowflake_tables: list[TableSchema]
) -> None:
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/c.db")
    day1 = "s3://lake/exports/orders/dt=2025-01-01/part-0.parquet"
    day2 = "s3://lake/exports/orders/dt=2025-01-02/part-0.parquet"
    orders_old = [("id", "int64"), ("customer_id", "int64"), ("status", "string")]
    orders_new = [
        ("id", "int64"),
        ("customer_id", "int64"),
        ("order_date", "date32[day]"),
        ("status", "string"),
        ("total_amount", "decimal128(12, 2)"),
        ("currency", "string"),
        ("created_at", "timestamp[us, tz=UTC]"),
    ]
    customers_key = "s3://lake/exports/customers/part-0.csv"
    with catalog.engine.begin() as conn:
        conn.execute(
            insert(objects),
            [
                _object(day2, datetime(2025, 1, 2, 3, tzinfo=UTC)),
                _object(day1, datetime(2025, 1, 1, 3, tzinfo=UTC)),
                _object(customers_key, datetime(2025, 1, 2, tzinfo=UTC)),
                _object("s3://lake/exports/broken/x.parquet", datetime(2025, 1, 2), "failed"),
                _object("s3://lake/exports/empty/x.csv", datetime(2025, 1, 2)),
                _object("file:///data/local/orders.csv", datetime(2025, 1, 2)),
            ],
        )
        rows = [
            {"object_uri": uri, "name": name, "position": i, "data_type": data_type}
            for uri, cols in (
                (day1, orders_old),
                (day2, orders_new),
                (customers_key, list(CUSTOMERS_EXPORT.columns)),
                ("s3://lake/exports/broken/x.parquet", [("a", "string")]),
                ("file:///data/local/orders.csv", orders_new),
            )
            for i, (name, data_type) in enumerate(cols)
        ]
        rows.reverse()  # the positions, not the insertion order, give the column order
        conn.execute(insert(columns), rows)

    schemas = s3_schemas_from_catalog(catalog.engine)

    assert [s.dataset.uri for s in schemas] == [
        "s3://lake/exports/customers/",
        "s3://lake/exports/orders/",
    ]
    assert schemas[1].columns == tuple(orders_new)  # the most recently scanned partition
    assert schemas[0] == CUSTOMERS_EXPORT

    found = infer(schemas, postgres_tables, snowflake_tables, min_score=0.5)
    orders_edges = [
        e
        for e in found.edges
        if e.source.uri.endswith("orders/") or e.target.uri.endswith("orders/")
    ]
    assert _pairs(orders_edges) == [
        ("postgres:appdb.public.orders", "s3://lake/exports/orders/"),
        ("s3://lake/exports/orders/", "snowflake:ANALYTICS.PUBLIC.ORDERS"),
    ]
    assert all(e.confidence == 1.0 for e in orders_edges)
    assert orders_edges[0].reason.startswith("7 of 7 columns match by name")
    assert orders_edges[1].columns[0] == ColumnMapping("id", "ID")
