"""Path segments that may contain "/": Customer.io ids are any UTF-8, sent as `quote(id, safe="")`.

Starlette routes on the percent-decoded path, where an id's encoded "/" would split it into two
segments. `KeepEncodedSlashes` rebuilds the routed path from the raw one with "%" and "/" inside a
segment still escaped, and routes declare `{name:segment}`, whose convertor unescapes them.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["KeepEncodedSlashes", "SegmentConvertor"]


class SegmentConvertor(Convertor[str]):
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return value.replace("%", "%25").replace("/", "%2F")


register_url_convertor("segment", SegmentConvertor())


class KeepEncodedSlashes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        if raw_path:
            segments = raw_path.split(b"?", 1)[0].decode("ascii", "replace").split("/")
            path = "/".join(unquote(s).replace("%", "%25").replace("/", "%2F") for s in segments)
            scope = {**scope, "path": path}
        await self.app(scope, receive, send)
