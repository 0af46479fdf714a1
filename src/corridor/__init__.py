"""Corridor: software for running a humanitarian corridor operation end to end."""

__version__ = "0.1.0"
