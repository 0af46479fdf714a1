"""Keyring: master key, per-operation data keys, AES-256-GCM."""
