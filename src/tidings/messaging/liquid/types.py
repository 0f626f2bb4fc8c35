"""The values a Liquid render reads: the person, the trigger, the message's meta keys and its links.

The future delivery sender builds one `RenderContext` per delivery from a person, a trigger and the
delivery; nothing here reads storage. Meta values (`campaign`, `message`, `layout`) are mappings as
well as dataclasses so templates index them directly, without a dict built per render.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from functools import cache

from tidings.messaging.tracking import LinkTracker

__all__ = [
    "CampaignMeta",
    "LayoutMeta",
    "Links",
    "LiquidVersion",
    "MessageMeta",
    "RenderContext",
    "Snippet",
    "SubscriptionTopic",
]

class LiquidVersion(StrEnum):
    """Customer.io's two Liquid engines, chosen per message (accounts since Nov 28, 2023: latest)."""

    LATEST = "latest"
    LEGACY = "legacy"


class _MetaMapping(Mapping[str, object]):
    """Read a frozen dataclass as a mapping of its fields; a field that is None is missing.

    A meta key that does not apply (no campaign for a transactional message, no subject for a push)
    must fail rendering like any missing variable, so None reads as absent rather than as empty.
    """

    __slots__ = ()

    def __getitem__(self, key: object) -> object:
        if not isinstance(key, str) or key not in _field_names(type(self)):
            raise KeyError(key)
        value = getattr(self, key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in _field_names(type(self)) if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class SubscriptionTopic(_MetaMapping):
    """The subscription-center topic a message belongs to: `{{message.subscription_topic.name}}`."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CampaignMeta(_MetaMapping):
    """`{{campaign.id}}`, `{{campaign.name}}`, `{{campaign.type}}` (also set for newsletters)."""

    id: int
    name: str
    type: str
    subscription_topic_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageMeta(_MetaMapping):
    """`{{message.id}}`, `.name`, `.type` (e.g. `email_action`), `.subject`, `.preheader`, topic."""

    id: int
    name: str
    type: str
    subject: str | None = None
    preheader: str | None = None
    subscription_topic: SubscriptionTopic | None = None
    journey_id: str | None = None
    send_to_unsubs: bool | None = None


@dataclass(frozen=True, slots=True)
class LayoutMeta(_MetaMapping):
    """`{{layout.id}}` and `{{layout.name}}` of the layout an email is wrapped in."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Links:
    """Where the per-delivery links of `{% unsubscribe_url %}`, `{% cio_link %}` and friends point.

    `base_url` is the workspace's tracking domain (Customer.io: `https://track.customer.io` or a
    CNAME). `signing_key` is the workspace's link tracking secret (at least 16 bytes when links are
    tracked): `tracker` signs with it, so the click route can trust the links the tags write.
    `url_parameters` are the workspace's URL parameters (name → Liquid value) that `{% cio_link %}`
    appends; `is_click_tracking` is the default for its `track:` option.
    """

    base_url: str
    signing_key: bytes = field(default=b"", repr=False)
    is_click_tracking: bool = True
    url_parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def tracker(self) -> LinkTracker:
        """The `LinkTracker` for these links: it signs `{% cio_link %}` URLs, rewrites the email's
        other links and verifies clicks, all with `signing_key`. Built on each access; raises
        `InvalidInput` when the key is too short or `base_url` is not http(s)."""
        return LinkTracker(self.base_url, self.signing_key)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A workspace snippet: `{{snippets.name}}` renders `value` (text, HTML, Liquid or JSON)."""

    name: str
    value: str
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Everything one render may read, as Customer.io names it in Liquid.

    `customer` is the recipient's attributes (None for anonymous recipients), `event` the data of
    the triggering event, `trigger` the `message_data` / webhook / object trigger payload, `journey`
    the journey attributes, `objects` related objects by type (most recently created first).
    `snippets` maps snippet names to their values. `now` is what `'now'` means to the `date` filter.
    A namespace left as None is missing: referencing it fails the render.
    """

    now: datetime
    customer: Mapping[str, object] | None = None
    event: Mapping[str, object] | None = None
    event_name: str | None = None
    event_id: str | None = None
    event_timestamp: int | None = None
    trigger: Mapping[str, object] | None = None
    journey: Mapping[str, object] | None = None
    objects: Mapping[str, Sequence[Mapping[str, object]]] | None = None
    snippets: Mapping[str, str] = field(default_factory=dict)
    campaign: CampaignMeta | None = None
    message: MessageMeta | None = None
    layout: LayoutMeta | None = None
    delivery_id: str = "unsent"
    links: Links | None = None
    random_seed: int | None = None

    def __post_init__(self) -> None:
        assert self.now.tzinfo is not None, "RenderContext.now must be aware; pass clock.now()"
