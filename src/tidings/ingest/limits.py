"""Customer.io's Track API limits, overridable per workspace ("we can raise them on request")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["TrackLimits"]


@dataclass(frozen=True, slots=True)
class TrackLimits:
    body_bytes: int = 32 * 1024
    batch_body_bytes: int = 500 * 1024
    attributes_per_call: int = 300
    attribute_name_bytes: int = 150
    attribute_value_bytes: int = 1000
    event_name_bytes: int = 100
    event_data_bytes: int = 100_000
    identifier_chars: int = 150

    @classmethod
    def for_workspace(cls, overrides: dict[str, Any]) -> TrackLimits:
        """Defaults, with the workspace's stored overrides for the limits it names."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: int(value) for name, value in overrides.items() if name in known})
