"""Bulk reclassification jobs: object lists at scale (listings, S3 Inventory) and progress."""
