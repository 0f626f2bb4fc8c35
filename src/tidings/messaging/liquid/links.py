"""The per-delivery URLs Customer.io's tags write, and the signed token inside a tracked link.

Paths follow Customer.io's: `/unsubscribe/<delivery_id>`, `/preferences/<delivery_id>`,
`/deliveries/<delivery_id>` (view in browser), `/e/c/<token>` (a tracked click) and
`/click/<token>` (universal links, where the app posts `{% cio_link_id %}`). A token is
`<payload>.<signature>`, URL-safe; the tracking routes read it back with `read_link_token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from tidings.messaging.liquid.types import Links

__all__ = [
    "LinkToken",
    "add_query",
    "link_token",
    "preferences_url",
    "read_link_token",
    "tracked_url",
    "unsubscribe_url",
    "view_in_browser_url",
]


@dataclass(frozen=True, slots=True)
class LinkToken:
    """What a tracked link carries: the delivery, the link's position in the message and its target."""

    delivery_id: str
    link_id: int
    href: str | None


def add_query(url: str, params: list[tuple[str, str]] | str) -> str:
    """Append parameters, form-encoded (`+` for spaces, as Customer.io's URL parameters are).

    `params` may be a query string encoded already (the same for every link of a render).
    """
    extra = params if isinstance(params, str) else urlencode(params)
    if not extra:
        return url
    url, hash_mark, fragment = url.partition("#")
    joiner = "&" if "?" in url else "?"
    if url.endswith(("?", "&")):
        joiner = ""
    return f"{url}{joiner}{extra}{hash_mark}{fragment}"


def _delivery_url(links: Links, route: str, delivery_id: str, lang: str | None) -> str:
    url = f"{links.base_url.rstrip('/')}/{route}/{quote(delivery_id, safe='')}"
    return add_query(url, [("lang", lang)]) if lang else url


def unsubscribe_url(links: Links, delivery_id: str, *, lang: str | None = None) -> str:
    """The delivery's unsubscribe page (topic page when the subscription center is on)."""
    return _delivery_url(links, "unsubscribe", delivery_id, lang)


def preferences_url(links: Links, delivery_id: str, *, lang: str | None = None) -> str:
    """The delivery's subscription-preferences page."""
    return _delivery_url(links, "preferences", delivery_id, lang)


def view_in_browser_url(links: Links, delivery_id: str) -> str:
    """The hosted web version of an email delivery."""
    return _delivery_url(links, "deliveries", delivery_id, None)


def link_token(links: Links, token: LinkToken) -> str:
    """`<payload>.<signature>`: base64url JSON signed with the workspace's link key (HMAC-SHA256)."""
    body = {"d": token.delivery_id, "l": token.link_id}
    if token.href is not None:
        body["h"] = token.href
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    payload = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    signature = hmac.new(links.signing_key, payload.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{signature}"


def read_link_token(links: Links, text: str) -> LinkToken | None:
    """The token `link_token` wrote, or None when it is malformed or its signature is wrong."""
    payload, _, signature = text.partition(".")
    expected = hmac.new(links.signing_key, payload.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return LinkToken(delivery_id=str(body["d"]), link_id=int(body["l"]), href=body.get("h"))
    except (ValueError, KeyError, TypeError):
        return None


def tracked_url(links: Links, token: LinkToken) -> str:
    """A click-tracking URL that redirects to `token.href` after recording the click."""
    return f"{links.base_url.rstrip('/')}/e/c/{link_token(links, token)}"
