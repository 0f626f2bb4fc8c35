"""Segments: manual and data-driven groups of people, and their membership."""

from tidings.segments.definitions import Segment, SegmentKind, SegmentState
from tidings.segments.membership import (
    add_to_segment,
    clear_segment,
    create_manual_segment,
    delete_segment,
    manual_segment,
    remove_from_segment,
)
from tidings.segments.storage import (
    count_members,
    find_segment,
    list_member_identifiers,
    list_person_segments,
    list_segments,
)

__all__ = [
    "Segment",
    "SegmentKind",
    "SegmentState",
    "add_to_segment",
    "clear_segment",
    "count_members",
    "create_manual_segment",
    "delete_segment",
    "find_segment",
    "list_member_identifiers",
    "list_person_segments",
    "list_segments",
    "manual_segment",
    "remove_from_segment",
]
