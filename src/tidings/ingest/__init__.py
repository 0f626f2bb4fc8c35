"""Wire formats → canonical messages: each API's validation, limits and translation."""

from tidings.ingest import track_api
from tidings.ingest.bodies import decode_body
from tidings.ingest.limits import TrackLimits

__all__ = ["TrackLimits", "decode_body", "track_api"]
