"""Trained model files (data, not code): see business-manifest.json for hashes and versions."""
