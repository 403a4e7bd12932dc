"""Trained model files (data, not code).

Hashes and versions: business-manifest.json (business models), pii-manifest.json (names).
"""
