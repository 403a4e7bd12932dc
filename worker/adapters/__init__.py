"""Adapters: the code that speaks a technology (Atlan's API, SQL databases, S3, SQS).

Each implements a port from :mod:`worker.core.ports` or serves a service; adapters import only
the core and each other, never a service or an entry point.
"""
