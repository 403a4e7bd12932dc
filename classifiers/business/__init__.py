"""Business context: column business types and dataset categories (linear models in numpy).

Production modules: :mod:`.taxonomy`, :mod:`.features`, :mod:`.model` (no Faker). Training
and the corpus are dev-only and live outside the installed package, in the repository's
``training`` package (``make train``). Import :class:`BusinessModel` from
:mod:`classifiers.business.model` (it reads numpy artifacts; scikit-learn and skops are
training-time only).
"""

from classifiers.business.taxonomy import Category, Taxonomy, TaxonomyError, load_taxonomy

__all__ = ["Category", "Taxonomy", "TaxonomyError", "load_taxonomy"]
