"""The per-delivery URLs Customer.io's tags write on the workspace's tracking domain.

Paths follow Customer.io's: `/unsubscribe/<delivery_id>`, `/preferences/<delivery_id>` and
`/deliveries/<delivery_id>` (view in browser). Tracked links are not made here: `{% cio_link %}` and
`{% cio_link_id %}` write `/click/<token>` URLs and ids through `Links.tracker`, the same
`LinkTracker` that rewrites an email's links and verifies every click (see `messaging/tracking.py`).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from tidings.messaging.liquid.types import Links

__all__ = ["add_query", "preferences_url", "unsubscribe_url", "view_in_browser_url"]


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
