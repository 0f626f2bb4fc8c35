"""JSON responses encoded with msgspec, which is several times faster than the standard library."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import JSONResponse

__all__ = ["FastJSONResponse", "EMPTY_OBJECT"]

_encoder = msgspec.json.Encoder()


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _encoder.encode(content)


EMPTY_OBJECT: dict[str, Any] = {}
