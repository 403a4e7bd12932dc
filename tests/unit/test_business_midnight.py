"""Dates stored as timestamps and event times: the column model can tell them apart.

A schema's DATE columns often arrive as timestamps at midnight (TPC-H's ``l_shipdate`` read
through pandas, a CSV of ``2016-01-01 00:00:00``), and the real tables label them ``date``;
event times carry a time of day and are ``timestamp``. Without ``midnight_share`` both were
one kind of value to the column model (a glucose monitor's reading times, held out by
source, read as dates).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from classifiers.business import features as bf
from classifiers.business.model import BusinessModel
from models import ColumnSample
from tests.unit.test_business_features_speed import _assert_same
from tests.unit.test_business_model import N, _table


def _times(step: timedelta, start: datetime = datetime(2016, 1, 1)) -> tuple[datetime, ...]:
    return tuple(start + i * step for i in range(N))


def test_midnight_share_counts_date_times_at_midnight_only() -> None:
    days = ColumnSample("d", "timestamp[us]", _times(timedelta(days=1)))
    events = ColumnSample("t", "timestamp[us]", _times(timedelta(minutes=97)))
    assert bf._value_features(days)["midnight_share"] == 1.0
    share = bf._value_features(events)["midnight_share"]
    assert 0.0 < share < 0.1  # every 97 minutes: midnight now and then, not as a rule
    aware = _times(timedelta(days=1), datetime(2016, 1, 1, tzinfo=UTC))
    assert bf.midnight_share(aware) == 1.0
    assert bf.midnight_share([datetime(2016, 1, 1, 0, 0, 0, 1)]) == 0.0  # a microsecond past
    # Plain dates and text are not date-times: no such feature.
    plain = ColumnSample("d", "date32", tuple(date(2016, 1, 1) + timedelta(i) for i in range(N)))
    assert "midnight_share" not in bf._value_features(plain)
    assert "midnight_share" not in bf._value_features(ColumnSample("s", "string", ("x",) * N))
    _assert_same([days, events, plain])  # the per-value reference gives the same, bit for bit


def test_the_committed_model_reads_event_times_as_timestamps_and_midnights_as_dates() -> None:
    model = BusinessModel.load()
    sample = _table(
        "s3://lake/t1/part-0.parquet",
        [
            ("col_1", "timestamp[us]", list(_times(timedelta(minutes=97)))),
            ("col_2", "timestamp[us]", list(_times(timedelta(days=1)))),
        ],
    )
    types = [t for t, _ in model.column_types(sample)]
    assert types == ["timestamp", "date"]
