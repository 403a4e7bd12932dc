"""Celery app and tasks (queues enrich, jobs, atlan)."""
