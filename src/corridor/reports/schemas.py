"""API input and output of situation reports."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from corridor.web.schemas import ApiInput


class PublishIn(ApiInput):
    from_: date = Field(alias="from", description="First day (the operation's local day)")
    to: date | None = Field(default=None, description="Last day; the first day when left out")

    model_config = ConfigDict(populate_by_name=True)


class PublishedOut(BaseModel):
    id: int
    first_day: date
    last_day: date
    version: int
    revised: bool
    current: bool
    revises_id: int | None
    threshold: int
    data_as_of: datetime
    published_at: datetime
    files: dict[str, str] = Field(description="Download address of each file")
