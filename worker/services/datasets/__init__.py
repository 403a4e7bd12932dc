"""Datasets: grouping listings, partition sampling plans, verdicts, schema history."""
