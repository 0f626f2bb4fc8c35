"""Email composition: a rendered email value becomes an RFC 5322 message ready for SMTP.

Rendering (Liquid, layouts) and link tracking happen before this; composition adds what every
email needs on the wire: the text alternative, the hidden preheader, inlined CSS, the List-Unsubscribe
headers of RFC 2369 and RFC 8058, a Message-ID that names the delivery, and attachments. It checks the
rules Customer.io applies to custom headers and attachments and raises `InvalidInput` naming the
header or file that broke one.

The MIME structure is written directly rather than through `email.message.EmailMessage`, which parsed
and refolded every header and took three quarters of the sender's time per email. Only a header that
is not plain ASCII or does not fit a line goes through the standard library's header folding
(RFC 2047 encoded words). A text part that is plain ASCII with lines short enough for SMTP (most
HTML emails, entities and all) goes as it is (`7bit`); any other is quoted-printable, which costs
as much CPU as the inlining of CSS; attachments are base64. A multipart boundary is random and
checked against the parts it separates.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.utils import encode_rfc2231, format_datetime, getaddresses
from enum import StrEnum
from functools import lru_cache

import css_inline

from tidings.errors import InvalidInput, LimitExceeded
from tidings.messaging.plaintext import html_to_text

__all__ = [
    "DELIVERY_HEADER",
    "MAX_ATTACHMENT_BYTES",
    "MAX_RECIPIENTS",
    "Attachment",
    "ComposedEmail",
    "MessageType",
    "OutboundEmail",
    "check_headers",
    "compose_email",
    "decode_attachments",
    "email_bytes",
    "parse_addresses",
]

# Our correlation header: an ESP's bounce and complaint callbacks echo it back, so they can be matched
# to the delivery (Customer.io's equivalent is X-CIO-Email-ID).
DELIVERY_HEADER = "X-Tidings-Delivery-ID"
# "The total size of all attachments must be less than 2 MB" ("Total attachment size exceeds 2048KB limit").
MAX_ATTACHMENT_BYTES = 2048 * 1024
# "Limit of 15 recipients exceeded": to and bcc together.
MAX_RECIPIENTS = 15

# Customer.io's denylist ("header 'X' cannot be set to a custom value"): the platform writes these
# itself. Bcc and Sender are added because a custom value would leak or contradict the envelope.
_RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "Message-ID Mime-Version Received Mail-System-Version Date Content-ID Return-Path Mailer From "
        "Content-Base Authentication-Results Originating-Client Subject Content-Alias Received-SPF X-Mailer "
        "To Content-Identifier Auto-Submitted X-Report-Abuse-To Reply-To Content-Length VBR-Info CC Lines "
        "Content-Type Content-Disposition Content-Transfer-Encoding Encoding Bcc Sender"
    ).split()
    + [DELIVERY_HEADER]
)
# Transactional API: "some filetype extensions are restricted".
_FORBIDDEN_EXTENSIONS = frozenset(
    "bat bin chm com cpl crt exe hlp hta inf ins isp jse lnk mdb msc msi msp mst pcd pif reg scr sct shs "
    "vbe vba vbs wsf wsh wsl".split()
)
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII except ':' (RFC 5322 §3.6.8)
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
# A dot-atom local part and domain (RFC 5322 §3.4.1), as nearly every address is.
_DOT_ATOM_ADDRESS = re.compile(
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)"
)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_PREHEADER_STYLE = (
    "display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;"
    "mso-hide:all;color:transparent"
)
# Juice, Customer.io's inliner, inlines <style> blocks, keeps media queries in a <style> block and
# leaves <link> stylesheets alone without fetching them. One inliner serves every message.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, keep_link_tags=True, load_remote_stylesheets=False)
# Folds (and encodes) the headers that are not short plain ASCII. Custom headers and List-Unsubscribe
# are never refolded: that would turn a long URL into RFC 2047 encoded words, which no client follows.
_HEADER_POLICY = email_policy.SMTP
# RFC 5322 §2.1.1: lines SHOULD be at most 78 characters, and MUST be at most 998.
_LINE_LENGTH = 78
_MAX_LINE_OCTETS = 998


class MessageType(StrEnum):
    """What caused a message; Customer.io routes each kind to its own SMTP server if asked to."""

    TRANSACTIONAL = "transactional"
    NEWSLETTER = "newsletter"
    SEGMENT_TRIGGERED = "segment_triggered"
    EVENT_TRIGGERED = "event_triggered"
    TRIGGERED_BROADCAST = "triggered_broadcast"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    @classmethod
    def named(cls, filename: str, content: bytes) -> Attachment:
        """An attachment whose type is guessed from its file name, as mail clients will."""
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        return cls(filename=filename, content=content, content_type=guessed or "application/octet-stream")


@dataclass(frozen=True, slots=True)
class OutboundEmail:
    """One rendered email for one delivery: every field is final text, Liquid already applied.

    Address fields take what the Transactional API takes: one address or a comma-separated list,
    display names allowed (`"Ann" <ann@example.com>`). `unsubscribe_url` (HTTPS, accepting RFC 8058
    one-click POSTs) and `unsubscribe_mailto` become List-Unsubscribe; leave both unset on test sends.
    """

    delivery_id: str
    from_address: str
    to: str
    subject: str
    html: str
    plaintext: str | None = None
    amp_html: str | None = None
    reply_to: str | None = None
    bcc: str | None = None
    preheader: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    message_type: MessageType | None = None
    # "Track opens and link clicks in this message"; False leaves the HTML exactly as rendered.
    tracked: bool = True
    # The inverse of the Transactional API's `disable_css_preprocessing`.
    inline_css: bool = True
    # MAIL FROM, where bounces go; the From address when unset.
    envelope_from: str | None = None


@dataclass(frozen=True, slots=True)
class ComposedEmail:
    """A composed message and its SMTP envelope (Bcc recipients are in the envelope only)."""

    # The message as it goes over SMTP (see `email_bytes`).
    data: bytes
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    # Which SMTP server takes it when several are routed by kind (see `EmailRouter`).
    message_type: MessageType | None = None


def compose_email(email: OutboundEmail, *, now: datetime) -> ComposedEmail:
    """Build the MIME message for `email`, dated `now`.

    Raises `InvalidInput` naming the field, header or file that breaks a rule, and `LimitExceeded`
    for too many recipients or attachments over 2 MB. CSS inlining makes this CPU work of a
    millisecond or so: async callers run it in a worker thread.
    """
    check_headers(email.headers)
    _check_attachments(email.attachments)
    from_addresses = parse_addresses(email.from_address, field="from")
    if len(from_addresses) != 1:
        raise InvalidInput("from must be exactly one address", field="from")
    to = parse_addresses(email.to, field="to")
    if not to:
        raise InvalidInput("to is required", field="to")
    bcc = parse_addresses(email.bcc, field="bcc") if email.bcc else ()
    if len(to) + len(bcc) > MAX_RECIPIENTS:
        raise LimitExceeded(f"Limit of {MAX_RECIPIENTS} recipients exceeded", field="to")
    if not email.subject.strip():
        raise InvalidInput("subject can not be blank", field="subject")

    sender = from_addresses[0]
    assert _ATEXT.fullmatch(email.delivery_id), "delivery ids are URL-safe base64, fit for a Message-ID"
    message_id = f"<{email.delivery_id}@{sender.domain}>"

    html = _inline_css(email.html) if email.inline_css else email.html
    text = email.plaintext if email.plaintext is not None else html_to_text(html)
    if email.preheader:
        html = _with_preheader(html, email.preheader)

    head = [_address_header("From", from_addresses), _address_header("To", to)]
    reply_to = parse_addresses(email.reply_to, field="reply_to") if email.reply_to else ()
    if reply_to:
        head.append(_address_header("Reply-To", reply_to))
    head.append(_text_header("Subject", email.subject, field="subject"))
    head.append(_date_header(now))
    head.append(f"Message-ID: {message_id}\r\n")
    head.append(f"{DELIVERY_HEADER}: {email.delivery_id}\r\n")
    head.extend(_list_unsubscribe(email))
    head.extend(f"{name}: {value}\r\n" for name, value in email.headers)
    head.append("MIME-Version: 1.0\r\n")

    # Clients show the last alternative they understand, so AMP goes between text and HTML.
    alternatives = [_text_part("plain", text)]
    if email.amp_html:
        alternatives.append(_text_part("x-amp-html", email.amp_html))
    alternatives.append(_text_part("html", html))
    body = _multipart("alternative", alternatives)
    if email.attachments:
        body = _multipart("mixed", [body, *(_attachment_part(attachment) for attachment in email.attachments)])
    data = "".join(head).encode("ascii") + body

    envelope_from = sender.addr_spec
    if email.envelope_from:
        envelope = parse_addresses(email.envelope_from, field="envelope_from")
        if len(envelope) != 1:
            raise InvalidInput("envelope_from must be exactly one address", field="envelope_from")
        envelope_from = envelope[0].addr_spec
    recipients = tuple(dict.fromkeys(address.addr_spec for address in (*to, *bcc)))
    return ComposedEmail(
        data=data,
        sender=envelope_from,
        recipients=recipients,
        message_id=message_id,
        message_type=email.message_type,
    )


def email_bytes(composed: ComposedEmail) -> bytes:
    """The message as it goes over SMTP: CRLF line ends, 7-bit clean, raw headers unchanged."""
    return composed.data


def decode_attachments(encoded: Mapping[str, str]) -> tuple[Attachment, ...]:
    """Attachments as the Transactional API sends them, `{filename: base64 content}`, decoded and
    checked: forbidden file types, bad base64 and a total over 2 MB raise `InvalidInput`."""
    attachments = []
    for filename, data in encoded.items():
        if not filename:
            raise InvalidInput("Attachment filename is required", field="attachments")
        if not isinstance(data, str) or not data:
            raise InvalidInput(f"Attachment {filename!r} has no content", field="attachments")
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            reason = f"Attachment {filename!r} must be base64-encoded"
            raise InvalidInput(reason, field="attachments") from None
        attachments.append(Attachment.named(filename, content))
    _check_attachments(attachments)
    return tuple(attachments)


def check_headers(headers: tuple[tuple[str, str], ...]) -> None:
    """Refuse Customer.io's reserved headers, non-ASCII values and anything that could break a mail line."""
    for name, value in headers:
        if not name:
            raise InvalidInput("Header name can't be blank", field="headers")
        if any(character.isspace() for character in name):
            raise InvalidInput(f"Header name {name!r} can't contain whitespace", field="headers")
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidInput(f"header {name!r} is not a valid header name", field="headers")
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidInput(f"header '{name}' cannot be set to a custom value", field="headers")
        if not value.isascii():
            raise InvalidInput(f"header '{name}' must be an ASCII string", field="headers")
        if "\r" in value or "\n" in value:
            # A line break would let the value start a header of its own.
            raise InvalidInput(f"header '{name}' cannot contain a line break", field="headers")
        if len(name) + 2 + len(value) > 998:
            raise InvalidInput(f"header '{name}' is longer than a mail line may be", field="headers")


def _check_attachments(attachments: tuple[Attachment, ...] | list[Attachment]) -> None:
    total = 0
    for attachment in attachments:
        name = attachment.filename
        if not name or any(character in name for character in "/\\\r\n\0"):
            raise InvalidInput(f"Attachment filename {name!r} is not a plain file name", field="attachments")
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if extension in _FORBIDDEN_EXTENSIONS:
            reason = f"Attachment {name!r}: .{extension} files cannot be attached"
            raise InvalidInput(reason, field="attachments")
        total += len(attachment.content)
    if total > MAX_ATTACHMENT_BYTES:
        raise LimitExceeded("Total attachment size exceeds 2048KB limit", field="attachments")


def parse_addresses(raw: str, *, field: str) -> tuple[Address, ...]:
    """The addresses of a comma-separated list (display names allowed); InvalidInput names `field`."""
    bare = raw.strip()
    simple = _DOT_ATOM_ADDRESS.fullmatch(bare)
    if simple is not None:  # one plain address, as most recipients are: what the full parser finds
        return (Address(username=simple[1], domain=simple[2]),)
    return _parse_address_list(raw, field=field)


@lru_cache(maxsize=256)
def _parse_address_list(raw: str, *, field: str) -> tuple[Address, ...]:
    # Cached: a template's From and Reply-To are the same for every email it sends.
    parsed = []
    for display_name, addr_spec in getaddresses([raw]):
        if not display_name and not addr_spec:
            continue
        local, at, domain = addr_spec.rpartition("@")
        if not at or not local or not domain or not addr_spec.isascii():
            reason = f"{field} has an invalid email address: {addr_spec or display_name!r}"
            raise InvalidInput(reason, field=field)
        try:
            parsed.append(_address(display_name, addr_spec))
        except (ValueError, IndexError):
            raise InvalidInput(f"{field} has an invalid email address: {addr_spec!r}", field=field) from None
    return tuple(parsed)


def _address(display_name: str, addr_spec: str) -> Address:
    simple = _DOT_ATOM_ADDRESS.fullmatch(addr_spec)
    if simple is None:
        return Address(display_name=display_name, addr_spec=addr_spec)
    # What the full parser would find for a dot-atom address, at a tenth of the cost.
    return Address(display_name=display_name, username=simple[1], domain=simple[2])


@lru_cache(maxsize=8)
def _date_header(now: datetime) -> str:
    # Every email of a sender's round is dated the same `now`; formatting it costs 10 µs.
    return f"Date: {format_datetime(now)}\r\n"


def _list_unsubscribe(email: OutboundEmail) -> list[str]:
    # A custom List-Unsubscribe header replaces ours (Customer.io: "Set your own List-Unsubscribe").
    if any(name.lower() == "list-unsubscribe" for name, _ in email.headers):
        return []
    targets = []
    if email.unsubscribe_mailto:
        mailto = email.unsubscribe_mailto
        targets.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    if email.unsubscribe_url:
        targets.append(f"<{email.unsubscribe_url}>")
    if not targets:
        return []
    for target in targets:
        if not target.isascii() or "\r" in target or "\n" in target:
            raise InvalidInput("unsubscribe addresses must be ASCII on one line", field="unsubscribe_url")
    headers = ["List-Unsubscribe: " + ",\r\n ".join(targets) + "\r\n"]
    if email.unsubscribe_url and email.unsubscribe_url.lower().startswith("https://"):
        # RFC 8058 §3.1: one-click needs an HTTPS URI that takes a POST of this body.
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    return headers


def _address_header(name: str, addresses: tuple[Address, ...]) -> str:
    return _text_header(name, ", ".join(str(address) for address in addresses), field=name.lower())


def _text_header(name: str, value: str, *, field: str) -> str:
    """`name: value` and CRLF; folded, and non-ASCII words encoded (RFC 2047), when needed."""
    if "\r" in value or "\n" in value:
        # A line break would let the value start a header of its own.
        raise InvalidInput(f"{field} cannot contain a line break", field=field)
    if value.isascii() and len(name) + 2 + len(value) <= _LINE_LENGTH:
        return f"{name}: {value}\r\n"
    return _HEADER_POLICY.header_factory(name, value).fold(policy=_HEADER_POLICY)


def _text_part(subtype: str, text: str) -> bytes:
    """A UTF-8 text part: as it is when that is 7-bit clean, else quoted-printable (lines of at
    most 76 characters)."""
    data = text.encode("utf-8")
    if b"\r" in data:  # CRLF or CR line ends become LF, written as CRLF below
        data = b"\n".join(data.splitlines()) + b"\n"
    elif not data.endswith(b"\n"):
        data += b"\n"
    if _is_seven_bit(data):
        encoding, encoded = "7bit", data.replace(b"\n", b"\r\n")
    else:
        encoding, encoded = "quoted-printable", binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
    return head.encode("ascii") + encoded


def _is_seven_bit(data: bytes) -> bool:
    """RFC 2045 §2.7 7bit data: ASCII, no NUL, lines of at most 998 octets (LF line ends here)."""
    return data.isascii() and b"\0" not in data and max(map(len, data.split(b"\n"))) <= _MAX_LINE_OCTETS


def _attachment_part(attachment: Attachment) -> bytes:
    head = (
        f"Content-Type: {attachment.content_type}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {_parameter('filename', attachment.filename)}\r\n\r\n"
    )
    return head.encode("ascii") + base64.encodebytes(attachment.content).replace(b"\n", b"\r\n")


def _parameter(name: str, value: str) -> str:
    """A MIME parameter: quoted when it is printable ASCII, else RFC 2231's `name*=utf-8''...`."""
    if value.isascii() and value.isprintable():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{name}="{escaped}"'
    return f"{name}*={encode_rfc2231(value, 'utf-8')}"


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    """A multipart entity (its Content-Type and body); each delimiter takes the CRLF before it."""
    boundary = _boundary()
    while any(boundary in part for part in parts):  # 96 random bits: in practice never taken
        boundary = _boundary()
    head = b"Content-Type: multipart/" + subtype.encode("ascii") + b';\r\n boundary="' + boundary + b'"\r\n\r\n'
    delimiter = b"\r\n--" + boundary + b"\r\n"
    return head + b"--" + boundary + b"\r\n" + delimiter.join(parts) + b"\r\n--" + boundary + b"--\r\n"


def _boundary() -> bytes:
    return f"=_{secrets.token_hex(12)}".encode("ascii")


def _inline_css(html: str) -> str:
    try:
        return _INLINER.inline(html)
    except ValueError as exc:
        raise InvalidInput(f"CSS could not be inlined: {exc}", field="body") from None


def _with_preheader(html: str, preheader: str) -> str:
    """Put the preheader first in the body, hidden: inboxes show it beside the subject. It is HTML,
    so authors can pad it with `&zwnj;&nbsp;` as Customer.io suggests."""
    hidden = f'<div style="{_PREHEADER_STYLE}">{preheader}</div>'
    opening = _BODY_OPEN.search(html)
    if opening is None:
        return hidden + html
    return html[: opening.end()] + hidden + html[opening.end() :]
