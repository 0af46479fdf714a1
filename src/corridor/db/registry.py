"""Imports every capability's models so the metadata is complete.

Alembic, the test suite and ``corridor db`` need every table known; each new
capability adds its ``models`` module here.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from corridor.db.base import Base

MODEL_MODULES = (
    "corridor.accounts.models",
    "corridor.keys.models",
    "corridor.audit.models",
    "corridor.jobs.models",
    "corridor.operations.models",
    "corridor.routing.models",
    "corridor.crossings.models",
    "corridor.linkage.models",
    "corridor.aid.models",
    "corridor.amnesty.models",
    "corridor.reports.models",
)


def load_all_models() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
