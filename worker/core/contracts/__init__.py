"""Data contracts in the Open Data Contract Standard (ODCS v3): drawn from scans, checked on them.

:mod:`~worker.core.contracts.document` reads, validates and writes the YAML with the
``open-data-contract-standard`` package's models; :mod:`~worker.core.contracts.observed` turns
what scans recorded of a dataset into an :class:`~worker.core.contracts.observed.Observation`
and a starting contract; :mod:`~worker.core.contracts.check` checks an observation against a
contract. Pure: no I/O but the files ``document`` is asked to read.
"""
