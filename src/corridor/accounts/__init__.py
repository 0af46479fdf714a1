"""Organisations, users, roles, API tokens and the permission matrix."""
