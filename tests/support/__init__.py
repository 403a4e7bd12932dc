"""Helpers shared by test modules: fakes, the fake Atlan server, servers, hostile files."""
