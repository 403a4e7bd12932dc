"""Alerts: deduplicated, rate-limited, delivered to a webhook and to Atlan (see ``service``)."""
