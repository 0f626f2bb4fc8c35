"""Customer.io's ingest limits (Track and Pipelines APIs), overridable per workspace ("we can raise
them on request")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["IngestLimits"]


@dataclass(frozen=True, slots=True)
class IngestLimits:
    body_bytes: int = 32 * 1024
    batch_body_bytes: int = 500 * 1024
    attributes_per_call: int = 300
    attribute_name_bytes: int = 150
    attribute_value_bytes: int = 1000
    event_name_bytes: int = 100
    event_data_bytes: int = 100_000
    identifier_chars: int = 150
    # The Pipelines API: a call, and a whole /v1/batch (each call in it is held to the call limit).
    pipelines_call_bytes: int = 64 * 1024
    pipelines_batch_bytes: int = 1024 * 1024

    @classmethod
    def for_workspace(cls, overrides: dict[str, Any]) -> IngestLimits:
        """Defaults, with the workspace's stored overrides for the limits it names."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: int(value) for name, value in overrides.items() if name in known})
