"""Tamper-evident audit chain with signed heads, and the access log."""
