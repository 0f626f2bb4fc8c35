"""What must follow a person out when they are deleted, suppressed or merged away.

Segment memberships belong to a higher layer (segments/), which people/ may not import (STYLE
rule 9), yet their exits must reach the membership change feed with their time like any other.
So people/ declares what it needs here, and the processor passes segments' implementation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Connection

__all__ = ["Departures"]


class Departures(Protocol):
    """Called in the transaction of the change, while the person's rows still exist."""

    def person_removed(self, conn: Connection, *, workspace_id: int, cio_id: str, now: datetime) -> None:
        """`cio_id` is deleted or suppressed: they leave whatever they were in."""

    def person_merged(
        self, conn: Connection, *, workspace_id: int, from_cio_id: str, to_cio_id: str, now: datetime
    ) -> None:
        """`from_cio_id` merges into `to_cio_id`: what the first was in passes to the second."""
