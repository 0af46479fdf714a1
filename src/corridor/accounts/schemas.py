"""API input and output of the accounts capability."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from corridor.accounts.models import OrganisationType, Role
from corridor.web.schemas import ApiInput


class OrganisationIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    acronym: str | None = Field(default=None, max_length=32)
    type: OrganisationType
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code")
    party_to_conflict: bool = False


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    acronym: str | None
    type: OrganisationType
    country: str | None
    party_to_conflict: bool


class MembershipOut(BaseModel):
    organisation_id: int
    role: Role


class UserIn(ApiInput):
    login: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    language: str = "en"


class UserOut(BaseModel):
    id: int
    login: str
    display_name: str
    active: bool
    language: str
    memberships: list[MembershipOut]


class UserUpdate(ApiInput):
    role: Role | None = None
    active: bool | None = None


class MeOut(BaseModel):
    id: int
    login: str
    display_name: str
    language: str
    site_admin: bool
    memberships: list[MembershipOut]


class PasswordChange(ApiInput):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class TokenIn(ApiInput):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret; shown this once, store it safely")


class PasswordSignIn(ApiInput):
    login: str = Field(max_length=64)
    password: str = Field(max_length=256)
    token_name: str = Field(default="api", min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=30, ge=1, le=3650)
