"""The HTTP service (``enricher serve``): the steward review UI, its JSON API and the S3 webhook."""
