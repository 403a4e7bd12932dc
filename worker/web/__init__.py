"""The HTTP service (``enricher serve``): S3 event webhook now, the review UI later."""
