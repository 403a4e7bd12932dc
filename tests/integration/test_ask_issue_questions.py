"""The three questions quoted in issue 21, over the sample lake plus the lineage fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ask_lake import LAKE, build_sample_catalog
from tests.support.cli import run_enricher
from worker.bootstrap import build_ask
from worker.core.settings import load_settings


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("ask-lake")
    db = f"sqlite:///{tmp / 'catalog.db'}"
    build_sample_catalog(db, tmp, run_enricher)
    return db


def test_customer_data_flowing_through_s3(url: str) -> None:
    answer = build_ask(load_settings(None, database_url=url)).ask(
        "Show me all customer data flowing through S3."
    )
    assert answer.understood, answer.interpretation
    assert {i.uri for i in answer.items} == {f"{LAKE}crm/customers/"}
    assert "category customer" in answer.interpretation
    assert "snowflake:ANALYTICS.CRM.CUSTOMERS" in answer.items[0].why


def test_users_table_is_not_in_the_sample_catalog_so_it_is_refused(
    url: str, tmp_path: Path
) -> None:
    """No users table exists in the sample lake or the fixtures: a refusal, not a guess."""
    answer = build_ask(load_settings(None, database_url=url)).ask(
        "What would break if I change the users table schema?"
    )
    assert not answer.understood and answer.items == []
    assert "users" in answer.interpretation


def test_users_table_impact_once_its_chain_is_declared(url: str, tmp_path: Path) -> None:
    """With a users chain declared (PostgreSQL → the lake's sessions → Snowflake), the impact
    question reads "the users table" as the chain's start and lists what is downstream."""
    import shutil

    copy = tmp_path / "catalog.db"
    shutil.copy(url.removeprefix("sqlite:///"), copy)
    declared = tmp_path / "users.yaml"
    declared.write_text(
        "pipelines:\n  - name: users\n    postgres: appdb.public.users\n"
        f"    local: {Path(LAKE.removeprefix('file://')) / 'web/sessions.jsonl'}\n"
        "    snowflake: ANALYTICS.PUBLIC.USERS\n"
    )
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{copy}"}
    assert (
        run_enricher(["lineage", "load", "--declared", str(declared)], env, tmp_path).returncode
        == 0
    )
    answer = build_ask(load_settings(None, database_url=f"sqlite:///{copy}")).ask(
        "What would break if I change the users table schema?"
    )
    assert answer.understood, answer.interpretation
    assert {i.uri for i in answer.items} == {
        f"{LAKE}web/sessions.jsonl",
        "snowflake:ANALYTICS.PUBLIC.USERS",
    }


def test_singapore_transaction_reports_are_none_on_the_sample_lake(url: str) -> None:
    """The sample lake keeps one SG facet: ``nationality`` of the passports file (category
    reference, no lineage). Country and category must both hold, so no dataset qualifies and
    no report uses Singapore transaction data: an understood answer with no items."""
    service = build_ask(load_settings(None, database_url=url))
    answer = service.ask("Which reports use Singapore transaction data?")
    assert answer.understood, answer.interpretation
    assert answer.items == [] and answer.count == 0
    assert answer.interpretation == (
        "dashboards and Looks downstream of the datasets in category finance about SG"
    )
    # Without the category the passports file qualifies, and nothing is downstream of it.
    anything = service.ask("Which reports use Singapore data?")
    assert anything.understood and anything.items == []
    held = service.ask("Which datasets hold Singapore data?")
    assert [i.uri for i in held.items] == [f"{LAKE}identity/passports.csv.bz2"]
    assert held.items[0].why.startswith("value facet: column nationality (country) is SG in ")
