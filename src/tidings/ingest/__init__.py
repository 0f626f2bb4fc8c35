"""Wire formats → canonical messages: each API's validation, limits and translation."""

from tidings.ingest import pipelines, preferences, track_api, track_v2, transactional
from tidings.ingest.bodies import decode_body
from tidings.ingest.encodings import decompress_body
from tidings.ingest.limits import IngestLimits

__all__ = ["IngestLimits", "decode_body", "decompress_body", "pipelines", "preferences", "track_api", "track_v2", "transactional"]
