"""Knobs of the sampler, derived from :class:`worker.core.settings.SamplingSettings`."""

from __future__ import annotations

from dataclasses import dataclass

from worker.core.errors import SampleTooLarge

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SamplingOptions:
    """How much to read and how.

    Bytes fetched and memory used are bounded separately. ``byte_budget`` bounds what one
    sample fetches, besides the Parquet footer, which is read whole first and bounded by
    ``max_footer_bytes``; ``bytes_read`` in samples and reports counts both. The ``max_*``
    limits bound what is decoded in memory, whatever the bytes claim.

    :param rows: target number of sampled rows.
    :param byte_budget: most bytes one sample may fetch, besides the Parquet footer.
    :param max_cell_bytes: string/binary cells longer than this are truncated (UTF-8 bytes).
    :param text_ranges: random ranges read from a text object besides its head.
    :param max_row_groups: most Parquet row groups one sample draws from.
    :param max_decompression_ratio: decompressed/compressed bytes above this is a bomb.
    :param ragged_tolerance: share of ragged rows tolerated (padded/cut, with a warning)
        before the object fails.
    :param max_footer_bytes: a Parquet footer (metadata) declaring more fails the object with
        ``sample_too_large`` before it is fetched.
    :param max_row_group_bytes: a Parquet row group is decoded whole (random rows) only when
        its uncompressed size, as the footer declares it and as its page headers state it, is
        at most this; a larger one is sampled from the first rows of its columns.
    :param max_row_group_rows: the same for its row count.
    :param max_page_bytes: most uncompressed bytes of Parquet pages decoded for one column
        (its dictionary page and the pages its sampled rows are in), read from the page
        headers before anything is decompressed. A column beyond it is not decoded: it is
        reported as not sampled, and when no column can be decoded the object fails with
        ``sample_too_large``. A row group with a page beyond it is never decoded whole.
    :param max_column_chunks: a Parquet footer describing more column chunks (row groups x
        leaf columns) fails with ``sample_too_large`` before it is decoded: decoded, each
        takes about a kilobyte, however few bytes it took in the footer.
    :param max_columns: an object with more columns fails with ``sample_too_large`` (every
        column costs memory in every stage, whatever its cells).
    :param max_cells: most cells (rows x columns) one sample keeps: a wide object gets fewer
        rows than ``rows`` (at least one), with a warning.
    :param max_concurrent_gets: most ranged reads of one sample in flight at once. Which
        ranges are read is decided first, exactly as when they are read one by one, so this
        changes the time a sample takes, never its bytes or its values; ``1`` reads one range
        after another.
    """

    rows: int = 1000
    byte_budget: int = 8 * MIB
    max_cell_bytes: int = 4096
    text_ranges: int = 3
    max_row_groups: int = 4
    max_decompression_ratio: float = 200.0
    ragged_tolerance: float = 0.05
    max_footer_bytes: int = 16 * MIB
    max_row_group_bytes: int = 128 * MIB
    max_row_group_rows: int = 10_000_000
    max_page_bytes: int = 64 * MIB
    max_column_chunks: int = 100_000
    max_columns: int = 20_000
    max_cells: int = 1_000_000
    max_concurrent_gets: int = 8

    def rows_for(self, columns: int) -> int:
        """The row target for ``columns`` columns: ``rows``, cut to fit ``max_cells``."""
        return max(1, min(self.rows, self.max_cells // max(1, columns)))

    def check_columns(self, columns: int) -> None:
        """Refuse an object with more than ``max_columns`` columns.

        :raises SampleTooLarge: it has more.
        """
        if columns > self.max_columns:
            raise SampleTooLarge(
                f"sample too large: {columns:,} columns, above the limit of "
                f"{self.max_columns:,} (sampling.max_columns)"
            )

    def fewer_rows_warning(self, columns: int) -> str | None:
        """The warning for a sample whose row target :meth:`rows_for` cut, else ``None``."""
        rows = self.rows_for(columns)
        if rows >= self.rows:
            return None
        return (
            f"{columns:,} columns: at most {rows:,} rows are sampled (not {self.rows:,}) to "
            f"keep the sample within {self.max_cells:,} cells (sampling.max_cells)"
        )
