"""The HTTP service (``enricher serve``): review UI, JSON API, S3 event webhook, lineage pages."""
