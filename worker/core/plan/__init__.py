"""Atlan planning, pure: desired state per object, qualified names, custom-metadata limits."""
