"""What one render carries besides its variables, and what it learns about the message on the way."""

from __future__ import annotations

import random

from liquid.exceptions import LiquidError

from tidings.messaging.liquid.types import Links, RenderContext
from tidings.messaging.tracking import LinkTracker

__all__ = ["RenderState"]


class RenderState:
    """Per-render state reached from tags and filters through the engine's context (`.state`).

    It records what the sender must know about the rendered text: whether an unsubscribe link or a
    view-in-browser link is in it (the List-Unsubscribe header, the hosted copy), and how many
    tracked links were numbered (their positions are 0 to `link_count - 1`).
    """

    __slots__ = (
        "context",
        "has_unsubscribe_link",
        "has_view_in_browser",
        "link_count",
        "url_query",
        "_rng",
        "_tracker",
    )

    def __init__(self, context: RenderContext) -> None:
        self.context = context
        self.has_unsubscribe_link = False
        self.has_view_in_browser = False
        self.link_count = 0
        self.url_query: str | None = None
        self._rng: random.Random | None = None
        self._tracker: LinkTracker | None = None

    def rng(self) -> random.Random:
        """A seeded generator when the context asks for repeatable output (tests, previews)."""
        if self._rng is None:
            self._rng = random.Random(self.context.random_seed)
        return self._rng

    def links(self, tag: str) -> Links:
        """The context's links; a tag that writes a URL cannot work without them."""
        if self.context.links is None:
            message = f"{{% {tag} %}} needs the workspace's tracking links in the render context"
            raise LiquidError(message, token=None)
        return self.context.links

    def tracker(self, tag: str) -> LinkTracker:
        """The context's link tracker, built once per render (see `links`)."""
        if self._tracker is None:
            self._tracker = self.links(tag).tracker
        return self._tracker
