"""Email composition: what arrives is read back with the standard library's parser."""

from __future__ import annotations

import base64
import dataclasses
import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from tidings.errors import InvalidInput, LimitExceeded
from tidings.messaging import (
    DELIVERY_HEADER,
    MAX_ATTACHMENT_BYTES,
    Attachment,
    ComposedEmail,
    OutboundEmail,
    compose_email,
    decode_attachments,
    email_bytes,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HTML = (
    "<html><head><style>p { color: #ff0000; } @media (max-width: 600px) { p { color: blue; } }</style></head>"
    '<body><p>Hi Ann,</p><p>Your order <a href="https://shop.example.com/o/1?a=1&amp;b=2">#1</a> shipped.</p>'
    "</body></html>"
)


def outbound(**changes: object) -> OutboundEmail:
    base = OutboundEmail(
        delivery_id="RPILAgABcRhIBqSp7kiPekGBIeVh",
        from_address='"Shop" <shop@example.com>',
        to='"Ann Smith" <ann@example.com>',
        subject="Your order shipped",
        html=HTML,
    )
    return dataclasses.replace(base, **changes)


def wire(composed: ComposedEmail) -> EmailMessage:
    """The message as a receiving server would parse it."""
    parsed = email.message_from_bytes(email_bytes(composed), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return part.get_content().replace("\r\n", "\n")


class TestStructure:
    def test_html_email_is_multipart_alternative_with_a_generated_text_part(self) -> None:
        message = wire(compose_email(outbound(), now=NOW))

        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
        text = body(message, "plain")
        assert "Hi Ann," in text
        assert "#1 (https://shop.example.com/o/1?a=1&b=2)" in text
        assert "color" not in text

    def test_given_plaintext_is_sent_as_is(self) -> None:
        message = wire(compose_email(outbound(plaintext="Hi Ann.\nIt shipped.\n"), now=NOW))

        assert body(message, "plain") == "Hi Ann.\nIt shipped.\n"

    def test_envelope_headers_date_and_addresses(self) -> None:
        composed = compose_email(
            outbound(reply_to="help@example.com", to='"Ann" <ann@example.com>, bob@example.org'), now=NOW
        )
        message = wire(composed)

        assert message["From"].addresses[0].addr_spec == "shop@example.com"
        assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.com", "bob@example.org"]
        assert message["Reply-To"] == "help@example.com"
        assert message["Subject"] == "Your order shipped"
        assert message["Date"].datetime == NOW
        assert composed.sender == "shop@example.com"
        assert composed.recipients == ("ann@example.com", "bob@example.org")

    def test_blank_reply_to_and_bcc_are_ignored(self) -> None:
        composed = compose_email(outbound(reply_to=" ", bcc=" "), now=NOW)

        assert wire(composed)["Reply-To"] is None
        assert composed.recipients == ("ann@example.com",)

    def test_non_ascii_subject_and_display_name_are_encoded(self) -> None:
        raw = email_bytes(compose_email(outbound(subject="Grüße", to='"Zoë" <zoe@example.com>'), now=NOW))

        raw.decode("ascii")  # 7-bit clean on the wire
        message = email.message_from_bytes(raw, policy=policy.default)
        assert message["Subject"] == "Grüße"
        assert message["To"].addresses[0].display_name == "Zoë"

    def test_bcc_goes_in_the_envelope_only(self) -> None:
        composed = compose_email(outbound(bcc="audit@example.com, archive@example.com"), now=NOW)

        assert composed.recipients == ("ann@example.com", "audit@example.com", "archive@example.com")
        assert b"audit@example.com" not in email_bytes(composed)

    def test_message_id_and_delivery_header_name_the_delivery(self) -> None:
        composed = compose_email(outbound(), now=NOW)
        message = wire(composed)

        assert message["Message-ID"] == "<RPILAgABcRhIBqSp7kiPekGBIeVh@example.com>"
        assert composed.message_id == message["Message-ID"]
        assert message[DELIVERY_HEADER] == "RPILAgABcRhIBqSp7kiPekGBIeVh"

    def test_envelope_from_overrides_the_return_path(self) -> None:
        composed = compose_email(outbound(envelope_from="bounces+x@mail.example.com"), now=NOW)

        assert composed.sender == "bounces+x@mail.example.com"

    def test_amp_body_sits_between_text_and_html(self) -> None:
        amp = "<!doctype html><html amp4email data-css-strict><body>AMP</body></html>"
        message = wire(compose_email(outbound(amp_html=amp), now=NOW))

        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain",
            "text/x-amp-html",
            "text/html",
        ]


class TestContent:
    def test_css_is_inlined_and_media_queries_kept(self) -> None:
        html = body(wire(compose_email(outbound(), now=NOW)), "html")

        assert '<p style="color: #ff0000;">Hi Ann,</p>' in html
        assert "@media (max-width: 600px)" in html

    def test_css_inlining_can_be_turned_off_per_message(self) -> None:
        html = body(wire(compose_email(outbound(inline_css=False), now=NOW)), "html")

        assert html.rstrip("\r\n") == HTML

    def test_css_inlining_leaves_linked_stylesheets_unfetched(self) -> None:
        page = '<html><head><link rel="stylesheet" href="https://cdn.invalid/x.css"></head><body>x</body></html>'
        html = body(wire(compose_email(outbound(html=page), now=NOW)), "html")

        assert 'href="https://cdn.invalid/x.css"' in html

    def test_preheader_is_hidden_text_at_the_top_of_the_body(self) -> None:
        preheader = "Arrives Tuesday &zwnj;&nbsp;&zwnj;&nbsp;"
        message = wire(compose_email(outbound(preheader=preheader), now=NOW))
        html = body(message, "html")

        after_body = html.split("<body>", 1)[1]
        assert after_body.startswith('<div style="display:none;')
        assert f">{preheader}</div><p" in after_body
        assert "Arrives Tuesday" not in body(message, "plain")

    def test_preheader_leads_a_fragment_without_a_body_tag(self) -> None:
        html = body(wire(compose_email(outbound(html="<p>Hi</p>", inline_css=False, preheader="Soon"), now=NOW)), "html")

        assert html.startswith('<div style="display:none;') and "Soon</div><p>Hi</p>" in html

    def test_long_html_lines_survive_the_wire(self) -> None:
        long_html = "<p>" + "word " * 2000 + "</p>"
        raw = email_bytes(compose_email(outbound(html=long_html, inline_css=False), now=NOW))

        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        assert body(email.message_from_bytes(raw, policy=policy.default), "html").rstrip() == long_html


    def test_ascii_parts_go_as_they_are_and_others_quoted_printable(self) -> None:
        ascii_html = "<p>Tea &amp; cake, 5 &times; &euro;2</p>"
        sent = outbound(html=ascii_html, plaintext="Caf\u00e9 at 5", inline_css=False)
        message = wire(compose_email(sent, now=NOW))

        text, html = message.iter_parts()
        assert text["Content-Transfer-Encoding"] == "quoted-printable"
        assert html["Content-Transfer-Encoding"] == "7bit"
        assert body(message, "plain") == "Caf\u00e9 at 5\n"
        assert body(message, "html") == ascii_html + "\n"

    @pytest.mark.parametrize("html", ["<p>" + "x" * 999 + "</p>", "<p>nul \x00 here</p>"])
    def test_long_lines_and_nul_are_quoted_printable(self, html: str) -> None:
        message = wire(compose_email(outbound(html=html, inline_css=False), now=NOW))

        [_, html_part] = message.iter_parts()
        assert html_part["Content-Transfer-Encoding"] == "quoted-printable"
        assert body(message, "html") == html + "\n"

    def test_a_boundary_found_in_a_part_is_drawn_again(self, monkeypatch: pytest.MonkeyPatch) -> None:
        drawn = iter(["a" * 24, "b" * 24])
        monkeypatch.setattr("tidings.messaging.email.secrets.token_hex", lambda _: next(drawn))
        html = "<p>--=_" + "a" * 24 + "</p>"  # 7bit, so the first boundary occurs in the part
        message = wire(compose_email(outbound(html=html, inline_css=False), now=NOW))

        assert message.get_boundary() == "=_" + "b" * 24
        assert body(message, "html") == html + "\n"


class TestHeaders:
    def test_custom_headers_are_written_verbatim(self) -> None:
        long_value = "tag-" + "x" * 300
        message = wire(
            compose_email(
                outbound(headers=(("X-Entity-Ref-ID", "abc 123"), ("X-Mailgun-Tag", long_value))), now=NOW
            )
        )

        assert message["X-Entity-Ref-ID"] == "abc 123"
        assert message["X-Mailgun-Tag"] == long_value

    @pytest.mark.parametrize(
        "name", ["Message-ID", "subject", "TO", "From", "Reply-To", "CC", "Bcc", "Date", "X-Mailer", "Return-Path",
                 "Content-Type", "Mime-Version", "X-Report-Abuse-To", DELIVERY_HEADER]
    )
    def test_denylisted_header_is_refused_by_name(self, name: str) -> None:
        with pytest.raises(InvalidInput, match=f"header '{name}' cannot be set to a custom value") as caught:
            compose_email(outbound(headers=((name, "x"),)), now=NOW)
        assert caught.value.field == "headers"

    @pytest.mark.parametrize(
        ("name", "value", "reason"),
        [
            ("", "x", "can't be blank"),
            ("X Tag", "x", "can't contain whitespace"),
            ("X:Tag", "x", "not a valid header name"),
            ("X-Tag", "héllo", "must be an ASCII string"),
            ("X-Tag", "a\r\nBcc: victim@example.com", "cannot contain a line break"),
            ("X-Tag", "x" * 1000, "longer than a mail line"),
        ],
    )
    def test_malformed_custom_header_is_refused(self, name: str, value: str, reason: str) -> None:
        with pytest.raises(InvalidInput, match=reason):
            compose_email(outbound(headers=((name, value),)), now=NOW)

    def test_blank_header_value_is_allowed(self) -> None:
        assert wire(compose_email(outbound(headers=(("X-Empty", ""),)), now=NOW))["X-Empty"] == ""


class TestListUnsubscribe:
    URL = "https://t.example.com/unsubscribe/" + "A" * 150

    def test_mailto_and_https_with_one_click_post(self) -> None:
        message = wire(compose_email(outbound(unsubscribe_url=self.URL, unsubscribe_mailto="u@example.com"), now=NOW))

        assert message["List-Unsubscribe"] == f"<mailto:u@example.com>, <{self.URL}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_url_is_never_folded_into_encoded_words(self) -> None:
        raw = email_bytes(compose_email(outbound(unsubscribe_url=self.URL), now=NOW))

        assert f"List-Unsubscribe: <{self.URL}>\r\n".encode() in raw

    def test_mailto_alone_gets_no_one_click_header(self) -> None:
        message = wire(compose_email(outbound(unsubscribe_mailto="mailto:u@example.com?subject=unsubscribe"), now=NOW))

        assert message["List-Unsubscribe"] == "<mailto:u@example.com?subject=unsubscribe>"
        assert message["List-Unsubscribe-Post"] is None

    def test_plain_http_url_gets_no_one_click_header(self) -> None:
        message = wire(compose_email(outbound(unsubscribe_url="http://localhost:8080/unsubscribe/x"), now=NOW))

        assert message["List-Unsubscribe-Post"] is None

    def test_without_unsubscribe_urls_there_is_no_header(self) -> None:
        message = wire(compose_email(outbound(), now=NOW))

        assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None

    def test_custom_list_unsubscribe_replaces_ours(self) -> None:
        own = "<https://example.com/unsub?opaque=1>"
        message = wire(
            compose_email(
                outbound(
                    unsubscribe_url=self.URL,
                    headers=(("List-Unsubscribe", own), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")),
                ),
                now=NOW,
            )
        )

        assert message.get_all("List-Unsubscribe") == [own]
        assert message.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]


class TestAddresses:
    @pytest.mark.parametrize("field", ["from_address", "to", "reply_to", "bcc"])
    def test_invalid_address_is_refused_naming_the_field(self, field: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            compose_email(outbound(**{field: "not an address"}), now=NOW)
        assert caught.value.field == {"from_address": "from"}.get(field, field)

    def test_more_than_fifteen_recipients_is_refused(self) -> None:
        to = ", ".join(f"p{n}@example.com" for n in range(10))
        bcc = ", ".join(f"b{n}@example.com" for n in range(6))

        with pytest.raises(LimitExceeded, match="Limit of 15 recipients exceeded"):
            compose_email(outbound(to=to, bcc=bcc), now=NOW)

    def test_blank_subject_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="subject can not be blank"):
            compose_email(outbound(subject="  "), now=NOW)


class TestAttachments:
    def test_attachments_travel_base64_with_their_type(self) -> None:
        invite = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        attachments = decode_attachments({"invite.ics": base64.b64encode(invite).decode(), "data.bin.gz": "AAEC"})
        message = wire(compose_email(outbound(attachments=attachments), now=NOW))

        assert message.get_content_type() == "multipart/mixed"
        files = {part.get_filename(): part for part in message.iter_attachments()}
        assert files["invite.ics"].get_content_type() == "text/calendar"
        assert files["invite.ics"].get_payload(decode=True) == invite
        assert files["data.bin.gz"].get_payload(decode=True) == b"\x00\x01\x02"
        assert "Hi Ann," in body(message, "plain") and "Hi Ann," in body(message, "html")

    @pytest.mark.parametrize("filename", ["setup.exe", "run.BAT", "x.vbs", "shortcut.lnk", "macro.tar.scr"])
    def test_forbidden_file_types_are_refused_naming_the_file(self, filename: str) -> None:
        with pytest.raises(InvalidInput, match=filename.replace(".", r"\.")):
            decode_attachments({filename: "AAAA"})

    def test_forbidden_type_is_refused_when_composing_too(self) -> None:
        with pytest.raises(InvalidInput, match="setup.exe"):
            compose_email(outbound(attachments=(Attachment.named("setup.exe", b"MZ"),)), now=NOW)

    def test_content_must_be_base64(self) -> None:
        with pytest.raises(InvalidInput, match="'notes.txt' must be base64-encoded"):
            decode_attachments({"notes.txt": "not base64!"})

    def test_total_size_may_reach_but_not_pass_two_megabytes(self) -> None:
        half = base64.b64encode(b"\0" * (MAX_ATTACHMENT_BYTES // 2)).decode()
        assert len(decode_attachments({"a.pdf": half, "b.pdf": half})) == 2

        with pytest.raises(LimitExceeded, match="Total attachment size exceeds 2048KB limit"):
            decode_attachments({"a.pdf": half, "b.pdf": half, "c.txt": "AA=="})

    @pytest.mark.parametrize("filename", ["", "../etc/passwd", "a\r\nb.txt"])
    def test_filename_must_be_a_plain_name(self, filename: str) -> None:
        with pytest.raises(InvalidInput):
            decode_attachments({filename: "AAAA"})
