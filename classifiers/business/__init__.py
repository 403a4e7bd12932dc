"""Business context: column business types and dataset categories (scikit-learn, skops).

Production modules: :mod:`.taxonomy`, :mod:`.features`, :mod:`.model` (no Faker). Training
and the corpus (:mod:`.corpus`, :mod:`.train`) are dev-only. Import :class:`BusinessModel`
from :mod:`classifiers.business.model` (it imports scikit-learn lazily on load).
"""

from classifiers.business.taxonomy import Category, Taxonomy, TaxonomyError, load_taxonomy

__all__ = ["Category", "Taxonomy", "TaxonomyError", "load_taxonomy"]
