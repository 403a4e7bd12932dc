"""One customer table's values (Faker ``en_US``), as several tests and a probe read them."""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker

#: The table's own column names, in the order of :func:`customer_values`.
CUSTOMER_NAMES = ("full_name", "email", "phone", "iban", "signup_date", "lifetime_value")


def customer_values(rows: int = 300, seed: int = 7) -> list[list[object]]:
    """Per column of :data:`CUSTOMER_NAMES`: names, e-mails, phones, IBANs, signup dates (two
    years from 2024-01-01) and lifetime values (0-900), ``rows`` each, from ``seed``."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    span = range(rows)
    start = date(2024, 1, 1)
    return [
        [fake.name() for _ in span],
        [fake.email() for _ in span],
        [fake.phone_number() for _ in span],
        [fake.iban() for _ in span],
        [start + timedelta(days=rng.randrange(700)) for _ in span],
        [round(rng.uniform(0, 900), 2) for _ in span],
    ]
