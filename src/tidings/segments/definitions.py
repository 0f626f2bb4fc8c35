"""Segments as records: manual ones people are added to, data-driven ones their conditions decide.

Deleting a segment never deletes its people, and a segment another segment's conditions name
cannot be deleted, as at Customer.io.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Segment", "SegmentKind", "SegmentState"]


class SegmentKind(StrEnum):
    MANUAL = "manual"
    DATA_DRIVEN = "data_driven"


class SegmentState(StrEnum):
    """A data-driven segment builds over everyone when created or edited, then stays live."""

    BUILDING = "building"
    READY = "ready"


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    name: str
    description: str
    kind: SegmentKind
    # The condition document of a data-driven segment; None for a manual one.
    conditions: dict[str, Any] | None
    state: SegmentState
    # Percent of people evaluated while building.
    progress: int
    created_at: datetime
    updated_at: datetime
