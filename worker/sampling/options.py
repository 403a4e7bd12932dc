"""Knobs of the sampler, derived from :class:`worker.settings.SamplingSettings`."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SamplingOptions:
    """How much to read and how.

    :param rows: target number of sampled rows.
    :param byte_budget: most bytes one sample may fetch, besides the Parquet footer.
    :param max_cell_bytes: string/binary cells longer than this are truncated (UTF-8 bytes).
    :param text_ranges: random ranges read from a text object besides its head.
    :param max_row_groups: most Parquet row groups one sample draws from.
    :param max_decompression_ratio: decompressed/compressed bytes above this is a bomb.
    :param ragged_tolerance: share of ragged rows tolerated (padded/cut, with a warning)
        before the object fails.
    """

    rows: int = 1000
    byte_budget: int = 8 * MIB
    max_cell_bytes: int = 4096
    text_ranges: int = 3
    max_row_groups: int = 4
    max_decompression_ratio: float = 200.0
    ragged_tolerance: float = 0.05
