from __future__ import annotations

from pathlib import Path

import pytest

from models.lineage import ColumnMapping, Dataset, InvalidDataset, LineageEdge, Origin, System
from worker.core.lineage.declared import parse_declared
from worker.services.lineage.source_files import load_declared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lineage" / "declared"

CUSTOMERS_PG = Dataset.parse("postgres:appdb.public.customers")
CUSTOMERS_S3 = Dataset.parse("s3://lake/exports/customers/")
CUSTOMERS_SF = Dataset.parse("snowflake:ANALYTICS.PUBLIC.CUSTOMERS")


def test_realistic_file_gives_exact_edges_and_column_maps() -> None:
    path = FIXTURES / "lineage.yaml"
    found = load_declared(path)

    assert found.problems == []
    copy_sql = (
        "COPY INTO ANALYTICS.PUBLIC.CUSTOMERS FROM @lake_stage/exports/customers/ "
        "FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE"
    )
    where = f"{path}: pipeline"
    assert found.edges == [
        LineageEdge(
            source=CUSTOMERS_PG,
            target=CUSTOMERS_S3,
            origin=Origin.DECLARED,
            confidence=1.0,
            columns=(
                ColumnMapping("id", "id"),
                ColumnMapping("email", "email"),
                ColumnMapping("first_name", "first_name"),
                ColumnMapping("country", "country"),
            ),
            sql=None,
            location=f"{where} 1 (customers export)",
            reason="declared",
        ),
        LineageEdge(
            source=CUSTOMERS_S3,
            target=CUSTOMERS_SF,
            origin=Origin.DECLARED,
            confidence=1.0,
            columns=(
                ColumnMapping("id", "ID"),
                ColumnMapping("email", "EMAIL_SHA", "sha2(email)", masked=True),
                ColumnMapping("first_name", "FIRST_NAME"),
                ColumnMapping("country", "country"),
            ),
            sql=copy_sql,
            location=f"{where} 1 (customers export)",
            reason="declared",
        ),
        LineageEdge(
            source=Dataset.parse("redshift:dev.public.orders"),
            target=Dataset.parse("s3://lake/exports/orders/"),
            origin=Origin.DECLARED,
            confidence=1.0,
            sql="UNLOAD ('select * from public.orders') TO 's3://lake/exports/orders/part_'",
            location=f"{where} 2 (orders unload)",
            reason="declared",
        ),
        LineageEdge(
            source=Dataset.parse("s3://lake/reference/products.parquet"),
            target=Dataset.parse("snowflake:ANALYTICS.PUBLIC.PRODUCTS"),
            origin=Origin.DECLARED,
            confidence=1.0,
            location=f"{where} 3",
            reason="declared",
        ),
    ]
    # The single object is not a prefix; the lower-case Snowflake name was folded.
    assert not found.edges[3].source.is_prefix
    assert found.edges[3].target.uri == "snowflake:ANALYTICS.PUBLIC.PRODUCTS"


def test_every_invalid_entry_gives_its_problem_and_valid_ones_load() -> None:
    found = load_declared(FIXTURES / "mixed.yaml")

    assert [(e.source.uri, e.target.uri, e.location) for e in found.edges] == [
        (
            "postgres:appdb.public.customers",
            "s3://lake/exports/customers/",
            f"{FIXTURES / 'mixed.yaml'}: pipeline 1 (good export)",
        ),
        (
            "s3://lake/exports/invoices/",
            "snowflake:ANALYTICS.PUBLIC.INVOICES",
            f"{FIXTURES / 'mixed.yaml'}: pipeline 12 (good load)",
        ),
    ]
    assert found.edges[1].columns == (ColumnMapping("invoice_no", "INVOICE_NUMBER"),)

    problems = [(p.location.rsplit(":", 1)[1], p.reason) for p in found.problems]
    expected = [
        ("1", "unknown top-level key 'version'"),
        ("9", "pipeline 2 (typo): unknown key 'snowflak'"),
        ("11", "pipeline 3 (short table): key 'postgres': postgres: expected DATABASE.SCHEMA"),
        ("13", "pipeline 4 (no s3): key 's3' is missing"),
        ("16", "pipeline 5: must be a mapping"),
        ("18", "pipeline 6 (not s3): key 's3' must be an s3://bucket/prefix/ URL"),
        ("22", "pipeline 7 (two upstreams): keys 'postgres' and 'redshift' both given"),
        ("28", "pipeline 8 (bad columns): key 'columns', column 'email': 'masked' must be"),
        ("29", "pipeline 8 (bad columns): key 'columns', column 'phone': unknown key 'mask'"),
        ("30", "pipeline 9 (nowhere): needs an upstream ('postgres' or 'redshift')"),
        ("34", "pipeline 10 (twice): key 's3' given twice"),
        ("39", "pipeline 11 (bad sql): key 'sql' must be a non-empty string"),
    ]
    assert len(problems) == len(expected), problems
    for (line, reason), (want_line, want_reason) in zip(problems, expected, strict=True):
        assert line == want_line, (reason, want_reason)
        assert reason.startswith(want_reason), (reason, want_reason)
    # The statement quotes the entry itself, so a steward can find it.
    assert found.problems[1].statement.startswith("name: typo")
    assert found.problems[4].statement == "just a string"
    # Nothing from an invalid pipeline leaks through (e.g. the orders hop of the typo).
    assert not any("orders" in e.source.uri or "orders" in e.target.uri for e in found.edges)


def test_invalid_yaml_reports_the_line() -> None:
    text = (
        "pipelines:\n"
        "  - postgres: appdb.public.customers\n"
        "    s3: s3://lake/exports/customers/\n"
        "  - snowflake: [ANALYTICS.PUBLIC.ORDERS\n"
        "    s3: s3://lake/exports/orders/\n"
    )
    found = parse_declared(text, "lineage.yaml")

    assert found.edges == []
    assert len(found.problems) == 1
    problem = found.problems[0]
    assert problem.location == "lineage.yaml:5"
    assert "invalid YAML at line 5" in problem.reason
    assert problem.statement == "s3: s3://lake/exports/orders/"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- a\n- b\n", "the document must be a mapping with a 'pipelines' list, got a list"),
        ("pipelines: s3://lake/x/\n", "'pipelines' must be a list of pipelines, got str"),
        ("owner: me\n", "unknown top-level key 'owner'"),
    ],
)
def test_bad_document_shapes_are_problems(text: str, reason: str) -> None:
    found = parse_declared(text, "lineage.yaml")

    assert found.edges == []
    assert found.problems
    assert found.problems[0].reason.startswith(reason)
    assert found.problems[0].location == "lineage.yaml:1"


def test_empty_documents_declare_nothing() -> None:
    for text in ("", "# nothing yet\n", "pipelines:\n"):
        found = parse_declared(text, "lineage.yaml")
        assert (found.edges, found.problems) == ([], [])


def test_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    found = load_declared(missing)

    assert found.edges == []
    assert len(found.problems) == 1
    assert found.problems[0].location == str(missing)
    assert "FileNotFoundError" in found.problems[0].reason


def test_upstream_only_pipeline_carries_its_sql_and_prefix_names() -> None:
    text = (
        "pipelines:\n"
        "  - postgres: 'postgres:AppDB.Public.Orders'\n"
        "    s3: s3://lake/exports/orders/\n"
        "    sql: COPY public.orders TO PROGRAM 'aws s3 cp - s3://lake/exports/orders/o.csv'\n"
        "    columns: {id: ID, total_amount: }\n"
    )
    found = parse_declared(text, "x.yaml")

    assert found.problems == []
    [edge] = found.edges
    assert edge.source.uri == "postgres:appdb.public.orders"
    assert edge.sql is not None and edge.sql.startswith("COPY public.orders")
    assert edge.columns == (
        ColumnMapping("id", "id"),
        ColumnMapping("total_amount", "total_amount"),
    )


def test_local_paths_name_local_datasets_relative_to_the_file(tmp_path: Path) -> None:
    """``local:`` stands in for ``s3:``: a folder or file on disk, relative to the YAML's folder
    (the sample lake), absolute, or a file:// URL; taken as written."""
    (tmp_path / "lineage.yaml").write_text(
        "pipelines:\n"
        "  - postgres: appdb.public.customers\n"
        "    local: lake/crm/../crm/customers/\n"
        "    snowflake: A.B.CUSTOMERS\n"
        "    columns: {email: {target: EMAIL_SHA, masked: true}}\n"
        "  - local: /data/hr/employees.csv\n"
        "    snowflake: HR.PUBLIC.EMPLOYEES\n"
        "  - local: file:///data/web/\n"
        "    postgres: web.public.sessions\n"
    )
    found = load_declared(tmp_path / "lineage.yaml")
    assert not found.problems
    ends = [(e.source.uri, e.target.uri) for e in found.edges]
    folder = f"file://{tmp_path.resolve()}/lake/crm/customers/"
    assert ends == [
        ("postgres:appdb.public.customers", folder),
        (folder, "snowflake:A.B.CUSTOMERS"),
        ("file:///data/hr/employees.csv", "snowflake:HR.PUBLIC.EMPLOYEES"),
        ("postgres:web.public.sessions", "file:///data/web/"),
    ]
    lake = found.edges[0].target
    assert lake.system is System.FILE and lake.is_prefix and not lake.is_table
    assert Dataset.parse(lake.uri) == lake
    assert lake.contains(folder + "part-0.parquet") and not lake.contains("s3://b/k")
    assert found.edges[1].columns == (ColumnMapping("email", "EMAIL_SHA", masked=True),)


def test_local_and_s3_together_or_an_empty_local_are_problems() -> None:
    found = parse_declared(
        "pipelines:\n"
        "  - s3: s3://b/p/\n    local: lake/p/\n    snowflake: A.B.C\n"
        "  - local: ''\n    snowflake: A.B.C\n",
        "lineage.yaml",
    )
    assert not found.edges
    reasons = [p.reason for p in found.problems]
    assert any("'s3' and 'local' both given" in r for r in reasons), reasons
    assert any("key 'local' must be a path" in r for r in reasons), reasons
    with pytest.raises(InvalidDataset):
        Dataset.parse("file://relative/path")
