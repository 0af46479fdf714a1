"""Settings read from ``CORRIDOR_*`` environment variables.

Every path has an absolute default so that a fresh machine works without any
configuration, and so that the start-up banner can tell the user exactly where
the database and the key files live.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser().resolve() / "corridor"


class Settings(BaseSettings):
    """Runtime configuration; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="CORRIDOR_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    secret_key_file: Path | None = None
    master_key_file: Path | None = None
    audit_signing_key_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    demo_password: str | None = None
    # Served over HTTPS (directly or behind a TLS proxy): session cookies get Secure.
    secure_cookies: bool = False
    session_max_age_seconds: int = 12 * 3600
    run_jobs: bool = True
    cache_check_interval_seconds: float = 0.25
    signin_max_failures_per_login: int = 5
    signin_max_failures_per_address: int = 20
    signin_window_seconds: int = 15 * 60
    invitation_days: int = 7
    # Routing: "cch" (RoutingKit's CCH where its wheel exists) or "scipy" (exact, slower).
    routing_engine: str = "cch"
    # Points farther than this from a road are refused.
    routing_max_snap_m: float = 500.0
    # OpenRosa: the largest attachment accepted (larger: 413); clients split bigger sends.
    openrosa_max_attachment_bytes: int = 10 * 1024 * 1024
    # Situation reports: counts below this are withheld ("<5"); the longest period.
    report_suppression_threshold: int = Field(default=5, ge=2, le=100)
    report_max_days: int = Field(default=92, ge=1, le=3660)
    # How often a server worker brings the reports' analytics copy up to date
    # (and publishes a revised report when late data changed a published one).
    analytics_refresh_seconds: float = 300.0
    # Adds an X-Corridor-Worker header (the process id): for tests of multi-worker behaviour.
    expose_worker_id: bool = False

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'corridor.sqlite3'}"

    @property
    def effective_secret_key_file(self) -> Path:
        return (self.secret_key_file or self.data_dir / "secret.key").expanduser().resolve()

    @property
    def effective_master_key_file(self) -> Path:
        return (self.master_key_file or self.data_dir / "master.key").expanduser().resolve()

    @property
    def effective_audit_signing_key_file(self) -> Path:
        path = self.audit_signing_key_file or self.data_dir / "audit-signing.key"
        return path.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
