"""Baselines the benchmarks compare s3-enricher against; not part of the installed package.

:mod:`.presidio_classifier` is the do-it-yourself Presidio classifier (the first version of the
PII classifier), with its value aggregation (:mod:`.aggregate`) and its mapping between
Presidio's entity names and ours (:mod:`.recognizers`). Importable from the repository root
(tests) and from ``bench/*.py`` scripts, which put the root on ``sys.path``.
"""
