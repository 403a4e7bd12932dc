"""Metrics adapters: Prometheus (:mod:`worker.adapters.metrics.prometheus`)."""
