"""The amnesty desk: voluntary disarmament intake, the weapons registry with its
chain of custody, and certificates a checkpoint verifies offline from a QR code.

The certificate format (COSE_Sign1 over a CBOR Web Token, zlib, Base45 behind
the ``AC1:`` prefix) lives in modules that touch no database (``base45``,
``cose``, ``claims``, ``qrtext``, ``trust_list``, ``verifier``), so the command
line, the benchmark and the sample generator use exactly what the server uses.
"""
