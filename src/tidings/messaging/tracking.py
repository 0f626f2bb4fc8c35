"""Tracked links and the open pixel: signed, stateless URLs on the tracking domain.

Every http(s) link of a tracked email is rewritten to `{base}/click/{token}`, where the token carries
the delivery id, the link's position, its target URL and its `data-cio-tag` group, signed with
HMAC-SHA256. Nothing is stored per link: the click route verifies the token, records the click and
redirects, as Customer.io's `/e/c/<payload>/<signature>` links do. Left alone, as at Customer.io:
links without an http(s) protocol (`mailto:`, `tel:`, `#anchor`, relative), links whose class list has
`untracked`, and unsubscribe links unless their class list has `tracked`.

The rewriter is one regular-expression pass over the HTML rather than a parser, because it runs once
per email sent. It follows the HTML tokenizer where it matters: attributes in any order, quoted with
`"` or `'` or not at all, a `>` inside a quoted value, and no `<a` inside comments, `<script>`,
`<style>`, `<title>` or `<textarea>`. Everything but the rewritten `href` values is kept byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import re
from dataclasses import dataclass, field
from html import escape, unescape

import msgspec

from tidings.errors import InvalidInput
from tidings.messaging.email import OutboundEmail
from tidings.messaging.errors import InvalidTrackingToken

__all__ = ["ClickTarget", "LinkTracker"]

_WS = "\t\n\f\r "
# An attribute list as the HTML tokenizer reads it: a quote opens a value only right after `=`.
# Atomic groups keep an unterminated tag from backtracking through the rest of the document.
# A value whose quote never closes runs to the end, as in browsers, which also keeps the scan linear.
_ATTRIBUTES = r"""(?:(?>[^>=]+|=[\t\n\f\r ]*(?:"[^"]*(?:"|\Z)|'[^']*(?:'|\Z)|[^\t\n\f\r >]*)))*+"""
# Everything up to the next `<a>` start tag or `</body>`, consumed inside the regex engine: text,
# comments, raw-text elements (whose `<a` is not a tag), other tags whole (so an `<a` inside their
# quoted attribute values is skipped; one left open swallows the rest, as in browsers), and a `<`
# that starts no tag.
_RAW_TEXT = "".join(
    rf"|<{name}(?=[\t\n\f\r />])" + _ATTRIBUTES + rf">.*?(?:</{name}[\t\n\f\r /]*>|\Z)"
    for name in ("script", "style", "title", "textarea", "xmp")
)
_SKIP = (
    r"(?:[^<]+"
    r"|<!--.*?(?:--!?>|\Z)"
    + _RAW_TEXT
    + r"|<(?!a[\t\n\f\r />])[a-z][^\t\n\f\r />]*"
    + _ATTRIBUTES
    + r"(?:>|\Z)"
    r"|<(?!a[\t\n\f\r />]|/body[\t\n\f\r ]*>)"
    r")*+"
)
# Matched from a position, never searched: a failed match means nothing of interest is left.
_NEXT = re.compile(
    _SKIP + r"(?:(?P<anchor><a(?=[\t\n\f\r />])" + _ATTRIBUTES + r">)|(?P<body_end></body[\t\n\f\r ]*>))",
    re.IGNORECASE | re.DOTALL,
)
_ATTRIBUTE = re.compile(
    r"""(?P<name>[^\t\n\f\r /=>][^\t\n\f\r /=>]*)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\t\n\f\r >]*)))?"""
)
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_SIGNATURE_BYTES = 16  # HMAC-SHA256 truncated to 128 bits (RFC 2104 §5 allows half or more)
_CLICK = b"click\x00"
_OPEN = b"open\x00"
_PAYLOAD = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class ClickTarget:
    """What a verified click token says: where to send the person and what to record."""

    delivery_id: str
    url: str
    # Order of the link among the email's tracked links, from 0.
    position: int
    # The link's `data-cio-tag`, which groups personalized URLs in link reports.
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class LinkTracker:
    """Rewrites links for one tracking domain, and verifies the tokens it wrote.

    `base_url` is the public root of the tracking routes (`https://t.example.com`). `secret` signs
    every token: rotating it breaks the links in emails already sent. `track_opens=False` is the
    workspace's "disable open tracking" switch: links are still rewritten, but no pixel is added.
    Links under `{base_url}/unsubscribe/` and `{base_url}/u/` (the hosted subscription pages), and
    under `unsubscribe_prefixes`, count as unsubscribe links.
    """

    base_url: str
    secret: bytes = field(repr=False)
    track_opens: bool = True
    unsubscribe_prefixes: tuple[str, ...] = ()
    _click_prefix: str = field(init=False, repr=False, compare=False)
    _open_prefix: str = field(init=False, repr=False, compare=False)
    _own_prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise InvalidInput("the link tracking secret must be at least 16 bytes", field="secret")
        if not _HTTP.match(self.base_url):
            reason = "the link tracking base URL must start with http:// or https://"
            raise InvalidInput(reason, field="base_url")
        base = self.base_url.rstrip("/")
        object.__setattr__(self, "base_url", base)
        object.__setattr__(self, "_click_prefix", f"{base}/click/")
        object.__setattr__(self, "_open_prefix", f"{base}/open/")
        unsubscribe = (f"{base}/unsubscribe/", f"{base}/u/", *self.unsubscribe_prefixes)
        object.__setattr__(self, "_own_prefixes", unsubscribe)

    def apply(self, email: OutboundEmail) -> OutboundEmail:
        """`email` with tracked links and the open pixel; an email with `tracked=False` is returned as is."""
        if not email.tracked:
            return email
        extra = (email.unsubscribe_url,) if email.unsubscribe_url else ()
        html = self.rewrite(email.html, delivery_id=email.delivery_id, unsubscribe_urls=extra)
        return dataclasses.replace(email, html=html)

    def rewrite(self, html: str, *, delivery_id: str, unsubscribe_urls: tuple[str, ...] = ()) -> str:
        """Rewrite the http(s) links of `html` to signed click URLs and add the open pixel before the
        last `</body>` (at the end without one)."""
        unsubscribe = self._own_prefixes + unsubscribe_urls
        edits: list[tuple[int, int, str]] = []
        body_end = len(html)
        position = 0
        while (match := _NEXT.match(html, position)) is not None:
            position = match.end()
            if match.group("body_end") is not None:
                body_end = match.start("body_end")
                continue
            rewritten = self._rewrite_anchor(
                match.group("anchor"), delivery_id=delivery_id, position=len(edits), unsubscribe=unsubscribe
            )
            if rewritten is not None:
                edits.append((match.start("anchor"), position, rewritten))
        if self.track_opens:
            pixel = (
                f'<img src="{self.open_url(delivery_id=delivery_id)}" width="1" height="1" alt="" '
                'style="border:0;width:1px;height:1px;" />'
            )
            # `</body>` never lies inside a rewritten tag, so the pixel goes between two edits.
            index = next((i for i, (start, _, _) in enumerate(edits) if start > body_end), len(edits))
            edits.insert(index, (body_end, body_end, pixel))
        if not edits:
            return html
        parts = []
        done = 0
        for start, end, text in edits:
            parts.append(html[done:start])
            parts.append(text)
            done = end
        parts.append(html[done:])
        return "".join(parts)

    def click_url(self, url: str, *, delivery_id: str, position: int = 0, tag: str | None = None) -> str:
        """The signed click URL that redirects to `url` (for `{% cio_link %}` and links outside HTML)."""
        return self._click_prefix + self._sign(_CLICK, [delivery_id, position, url, tag])

    def open_url(self, *, delivery_id: str) -> str:
        """The signed URL of the open pixel for a delivery."""
        return self._open_prefix + self._sign(_OPEN, [delivery_id])

    def verify_click(self, token: str) -> ClickTarget:
        """The click a token stands for. Raises `InvalidTrackingToken` when it was altered or not ours."""
        payload = self._verify(_CLICK, token)
        match payload:
            case [str(delivery_id), int(position), str(url), (str() | None) as tag]:
                return ClickTarget(delivery_id=delivery_id, url=url, position=position, tag=tag)
        raise InvalidTrackingToken()

    def verify_open(self, token: str) -> str:
        """The delivery id of an open-pixel token. Raises `InvalidTrackingToken` like `verify_click`."""
        payload = self._verify(_OPEN, token)
        match payload:
            case [str(delivery_id)]:
                return delivery_id
        raise InvalidTrackingToken()

    def _rewrite_anchor(
        self, tag: str, *, delivery_id: str, position: int, unsubscribe: tuple[str, ...]
    ) -> str | None:
        href = classes = link_tag = None
        for attribute in _ATTRIBUTE.finditer(tag, 2, len(tag) - 1):
            name = attribute.group("name").lower()
            # The first of repeated attributes wins, as in browsers.
            if name == "href" and href is None:
                href = attribute
            elif name == "class" and classes is None:
                classes = _value(attribute)
            elif name == "data-cio-tag" and link_tag is None:
                link_tag = _value(attribute)
        if href is None:
            return None
        raw = _value(href)
        url = (unescape(raw) if "&" in raw else raw).strip(_WS)
        if not _HTTP.match(url):
            return None
        class_list = classes.split() if classes else ()
        if "untracked" in class_list or url.startswith((self._click_prefix, self._open_prefix)):
            return None
        if url.startswith(unsubscribe) and "tracked" not in class_list:
            return None
        click = self.click_url(url, delivery_id=delivery_id, position=position, tag=link_tag)
        return f'{tag[: href.start()]}href="{escape(click)}"{tag[href.end() :]}'

    def _sign(self, purpose: bytes, payload: list[object]) -> str:
        encoded = base64.urlsafe_b64encode(msgspec.json.encode(payload)).rstrip(b"=")
        signature = hmac.digest(self.secret, purpose + encoded, "sha256")[:_SIGNATURE_BYTES]
        return f"{encoded.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"

    def _verify(self, purpose: bytes, token: str) -> object:
        encoded, dot, signature = token.partition(".")
        if not dot or not token.isascii():
            raise InvalidTrackingToken()
        expected = hmac.digest(self.secret, purpose + encoded.encode(), "sha256")[:_SIGNATURE_BYTES]
        try:
            given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            if not hmac.compare_digest(given, expected):
                raise InvalidTrackingToken()
            return _PAYLOAD.decode(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            raise InvalidTrackingToken() from None


def _value(attribute: re.Match[str]) -> str:
    for group in ("double", "single", "bare"):
        value = attribute.group(group)
        if value is not None:
            return value
    return ""
