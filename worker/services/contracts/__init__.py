"""Data contracts: load them from a folder, check the latest scans, raise violations as alerts."""
