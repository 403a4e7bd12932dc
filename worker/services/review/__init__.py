"""Steward review: the queue every scan feeds and the decisions stewards take."""
