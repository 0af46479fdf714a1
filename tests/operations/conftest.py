"""The reports' world (two corridors, an aid point) serves the notices tests too."""

from tests.reports.conftest import world  # noqa: F401
