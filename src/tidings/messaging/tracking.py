"""Tracked links and the open pixel: signed, stateless URLs on the tracking domain.

Every http(s) link of a tracked email is rewritten to `{base}/click/{token}`, where the token carries
the delivery id, the link's position, its target URL and its `data-cio-tag` group, signed with
HMAC-SHA256. Nothing is stored per link: the click route verifies the token, records the click and
redirects, as Customer.io's `/e/c/<payload>/<signature>` links do. Left alone, as at Customer.io:
links without an http(s) protocol (`mailto:`, `tel:`, `#anchor`, relative), links whose class list has
`untracked`, and unsubscribe links unless their class list has `tracked`.

This is the only signer of click links. Liquid's `{% cio_link %}` writes `click_url` while rendering
(numbered from 0 in render order), and `rewrite` leaves such links as they are and numbers the other
links around their positions, so each link of an email is tracked once under its own position.
`{% cio_link_id %}` (universal links, where an app opens instead of the browser) writes `link_id`: a
click token with no target URL. The app posts it to the same route, `POST {base}/click/{token}`,
which records the click and answers without redirecting. `GET` records and redirects; a link id
(`ClickTarget.url` None) has no target, so it is only ever recorded.

It also signs the subscription-center links (`{base}/u/i/{token}/`): a token naming a workspace and a
person, with an expiry, that opens that person's preferences page without credentials.

The rewriter is one regular-expression pass over the HTML rather than a parser, because it runs once
per email sent. It follows the HTML tokenizer where it matters: attributes in any order, quoted with
`"` or `'` or not at all, a `>` inside a quoted value, and no `<a` inside comments, `<script>`,
`<style>`, `<title>` or `<textarea>`. Everything but the rewritten `href` values is kept byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import itertools
import re
from dataclasses import dataclass, field
from html import escape, unescape
from typing import Any

import msgspec

from tidings.errors import InvalidInput
from tidings.messaging.email import OutboundEmail
from tidings.messaging.errors import InvalidTrackingToken

__all__ = ["ClickTarget", "LinkTracker", "PreferencesAccess", "token_delivery_id", "token_workspace_id"]

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
_PREFERENCES = b"preferences\x00"
_PAYLOAD = msgspec.json.Decoder()
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_HMAC_BLOCK = 64  # SHA-256's block size (RFC 2104 §2)
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


@dataclass(frozen=True, slots=True)
class ClickTarget:
    """What a verified click token says: where to send the person and what to record."""

    delivery_id: str
    # None for a universal-link id (`LinkTracker.link_id`): the click is recorded, never redirected.
    url: str | None
    # Order of the link among the email's tracked links, from 0.
    position: int
    # The link's `data-cio-tag`, which groups personalized URLs in link reports.
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class PreferencesAccess:
    """What a subscription-center token opens: one person's preferences page, until `expires_at`
    (unix seconds). `delivery_id` names the message the page was reached from, if any, so what the
    person changes there is attributed to it."""

    workspace_id: int
    cio_id: str
    expires_at: int
    delivery_id: str | None = None


@dataclass(frozen=True, slots=True)
class LinkTracker:
    """Rewrites links for one tracking domain, and verifies the tokens it wrote.

    `base_url` is the public root of the tracking routes (`https://t.example.com`). `secret` signs
    every token: rotating it breaks the links in emails already sent. `track_opens=False` is the
    workspace's "disable open tracking" switch: links are still rewritten, but no pixel is added.
    Links under `{base_url}/unsubscribe/`, `{base_url}/preferences/` and `{base_url}/u/` (the hosted
    subscription pages), and under `unsubscribe_prefixes`, count as unsubscribe links.
    """

    base_url: str
    secret: bytes = field(repr=False)
    track_opens: bool = True
    unsubscribe_prefixes: tuple[str, ...] = ()
    _click_prefix: str = field(init=False, repr=False, compare=False)
    _escaped_click_prefix: str = field(init=False, repr=False, compare=False)
    _open_prefix: str = field(init=False, repr=False, compare=False)
    _own_prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # HMAC-SHA256 with the key's pads hashed once (RFC 2104 §4): a token then costs two block
    # hashes of its own instead of four, and an email signs a dozen.
    _inner: Any = field(init=False, repr=False, compare=False)
    _outer: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise InvalidInput("the link tracking secret must be at least 16 bytes", field="secret")
        if not _HTTP.match(self.base_url):
            reason = "the link tracking base URL must start with http:// or https://"
            raise InvalidInput(reason, field="base_url")
        base = self.base_url.rstrip("/")
        object.__setattr__(self, "base_url", base)
        object.__setattr__(self, "_click_prefix", f"{base}/click/")
        object.__setattr__(self, "_escaped_click_prefix", escape(f"{base}/click/"))
        key = self.secret if len(self.secret) <= _HMAC_BLOCK else hashlib.sha256(self.secret).digest()
        key = key.ljust(_HMAC_BLOCK, b"\0")
        object.__setattr__(self, "_inner", hashlib.sha256(key.translate(_INNER_PAD)))
        object.__setattr__(self, "_outer", hashlib.sha256(key.translate(_OUTER_PAD)))
        object.__setattr__(self, "_open_prefix", f"{base}/open/")
        unsubscribe = (f"{base}/unsubscribe/", f"{base}/preferences/", f"{base}/u/", *self.unsubscribe_prefixes)
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
        last `</body>` (at the end without one). Links that are click URLs already (`{% cio_link %}`)
        are kept, and the others are numbered with the positions those leave free."""
        unsubscribe = self._own_prefixes + unsubscribe_urls
        found: list[tuple[int, int, str, re.Match[str], str, str | None]] = []
        taken: set[int] = set()
        body_end = len(html)
        position = 0
        while (match := _NEXT.match(html, position)) is not None:
            position = match.end()
            if match.group("body_end") is not None:
                body_end = match.start("body_end")
                continue
            anchor = match.group("anchor")
            link = self._link_to_track(anchor, unsubscribe=unsubscribe, taken=taken)
            if link is not None:
                found.append((match.start("anchor"), position, anchor, *link))
        free = (n for n in itertools.count() if n not in taken)
        edits: list[tuple[int, int, str]] = []
        for (start, end, anchor, href, url, link_tag), number in zip(found, free, strict=False):
            # The token is URL-safe base64: only the prefix could need escaping.
            token = self._sign(_CLICK, [delivery_id, number, url, link_tag])
            click = self._escaped_click_prefix + token
            rewritten = f'{anchor[: href.start()]}href="{click}"{anchor[href.end() :]}'
            edits.append((start, end, rewritten))
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
        """The signed click URL that redirects to `url` (for `{% cio_link %}` and links outside HTML).

        `position` numbers the link among the email's tracked links, from 0; `tag` groups it in link
        reports, like a `data-cio-tag` attribute.
        """
        return self._click_prefix + self._sign(_CLICK, [delivery_id, position, url, tag])

    def link_id(self, *, delivery_id: str, position: int) -> str:
        """The signed id `{% cio_link_id %}` writes for a universal link: a click token without a
        target, which the app posts to `{base}/click/{id}` and `verify_click` reads with url None."""
        return self._sign(_CLICK, [delivery_id, position, None, None])

    def open_url(self, *, delivery_id: str) -> str:
        """The signed URL of the open pixel for a delivery."""
        return self._open_prefix + self._sign(_OPEN, [delivery_id])

    def verify_click(self, token: str) -> ClickTarget:
        """The click a token stands for. Raises `InvalidTrackingToken` when it was altered or not ours."""
        payload = self._verify(_CLICK, token)
        match payload:
            case [str(delivery_id), int(position), (str() | None) as url, (str() | None) as tag]:
                return ClickTarget(delivery_id=delivery_id, url=url, position=position, tag=tag)
        raise InvalidTrackingToken()

    def verify_open(self, token: str) -> str:
        """The delivery id of an open-pixel token. Raises `InvalidTrackingToken` like `verify_click`."""
        payload = self._verify(_OPEN, token)
        match payload:
            case [str(delivery_id)]:
                return delivery_id
        raise InvalidTrackingToken()

    def preferences_token(self, access: PreferencesAccess) -> str:
        """The signed token of a subscription-center link; whoever holds it may change the person's
        preferences until it expires, as with Customer.io's."""
        return self._sign(_PREFERENCES, [access.workspace_id, access.cio_id, access.expires_at, access.delivery_id])

    def verify_preferences_token(self, token: str) -> PreferencesAccess:
        """What a subscription-center token grants, expired or not. Raises `InvalidTrackingToken`."""
        payload = self._verify(_PREFERENCES, token)
        match payload:
            case [int(workspace_id), str(cio_id), int(expires_at), (str() | None) as delivery_id]:
                return PreferencesAccess(workspace_id, cio_id, expires_at, delivery_id)
        raise InvalidTrackingToken()

    def _link_to_track(
        self, anchor: str, *, unsubscribe: tuple[str, ...], taken: set[int]
    ) -> tuple[re.Match[str], str, str | None] | None:
        """The `href` attribute, target URL and `data-cio-tag` of an anchor to track, or None.

        A link that is one of our click URLs already is kept, and its position added to `taken`.
        """
        href = classes = link_tag = None
        for attribute in _ATTRIBUTE.finditer(anchor, 2, len(anchor) - 1):
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
        if url.startswith(self._click_prefix):
            try:
                taken.add(self.verify_click(url[len(self._click_prefix) :]).position)
            except InvalidTrackingToken:
                pass  # not ours to read, and still not to be wrapped in a second click URL
            return None
        class_list = classes.split() if classes else ()
        if "untracked" in class_list or url.startswith(self._open_prefix):
            return None
        if url.startswith(unsubscribe) and "tracked" not in class_list:
            return None
        return href, url, link_tag

    def _sign(self, purpose: bytes, payload: list[object]) -> str:
        encoded = _url_safe_b64(msgspec.json.encode(payload))
        signature = self._mac(purpose + encoded)[:_SIGNATURE_BYTES]
        return f"{encoded.decode()}.{_url_safe_b64(signature).decode()}"

    def _mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of `message` under the secret, what `hmac.digest` returns."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def _verify(self, purpose: bytes, token: str) -> object:
        encoded, dot, signature = token.partition(".")
        if not dot or not token.isascii():
            raise InvalidTrackingToken()
        expected = self._mac(purpose + encoded.encode())[:_SIGNATURE_BYTES]
        try:
            given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            if not hmac.compare_digest(given, expected):
                raise InvalidTrackingToken()
            return _PAYLOAD.decode(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            raise InvalidTrackingToken() from None


def token_delivery_id(token: str) -> str | None:
    """The delivery id a click or open token names, read WITHOUT checking its signature.

    The tracking routes need it to find the delivery's workspace, whose key then verifies the
    token; nothing else may trust it.
    """
    match _unverified_payload(token):
        case [str(delivery_id), *_]:
            return delivery_id
    return None


def token_workspace_id(token: str) -> int | None:
    """The workspace a subscription-center token names, read WITHOUT checking its signature: only to
    find the key that verifies it (see `token_delivery_id`)."""
    match _unverified_payload(token):
        case [int(workspace_id), *_]:
            return workspace_id
    return None


def _unverified_payload(token: str) -> object:
    encoded = token.partition(".")[0]
    try:
        return _PAYLOAD.decode(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None


def _url_safe_b64(data: bytes) -> bytes:
    """RFC 4648 §5 base64url without padding (`base64.urlsafe_b64encode` in one step)."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def _value(attribute: re.Match[str]) -> str:
    for group in ("double", "single", "bare"):
        value = attribute.group(group)
        if value is not None:
            return value
    return ""
