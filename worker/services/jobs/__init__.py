"""Bulk jobs: paging a job's target resumably, never the whole key list at once."""
