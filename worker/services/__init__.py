"""Services: use cases over ports (review, lineage, jobs), called by the entry points.

Services import the core and adapters' types, never an entry point; the three service
packages are independent of one another.
"""
