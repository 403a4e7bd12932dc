"""Celery entry point: the app, thin tasks (queues enrich, jobs, atlan), per-process runtime."""
