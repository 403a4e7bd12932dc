"""Column values from one Faker provider, rendered as text, for classifier tests."""

from __future__ import annotations

from faker import Faker


def faker_values(locale: str, provider: str, seed: int, rows: int) -> tuple[str, ...]:
    """``rows`` values of ``Faker(locale).<provider>()`` from ``seed``, each as ``str``."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    make = getattr(fake, provider)
    return tuple(str(make()) for _ in range(rows))
