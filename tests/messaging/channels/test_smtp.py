"""The SMTP channel against a real aiosmtpd server on 127.0.0.1: what arrives, and what failures mean."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tidings.clock import ManualClock
from tidings.config import SmtpSettings, StartTlsMode
from tidings.errors import InvalidInput, ProviderFailed
from tidings.messaging import (
    DELIVERY_HEADER,
    Attachment,
    ComposedEmail,
    LinkTracker,
    OutboundEmail,
    SmtpFailed,
    compose_email,
)
from tidings.messaging.channels import SmtpChannel

from tests.factories.smtp import Inbox, smtp_server

SECRET = b"tracking-secret-0123456789"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    certificate_authority.configure_trust(context)
    return context


@pytest.fixture
def make_channel(clock: ManualClock) -> Callable[..., SmtpChannel]:
    def make(port: int, *, tls_context: ssl.SSLContext | None = None, **settings: Any) -> SmtpChannel:
        settings.setdefault("starttls", StartTlsMode.OFF)
        return SmtpChannel(
            SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=5, **settings),
            clock=clock,
            tls_context=tls_context,
            local_hostname="tidings.test",
        )

    return make


def outbound(**changes: Any) -> OutboundEmail:
    message = OutboundEmail(
        delivery_id="RPILAgABcRhIBqSp7kiPekGBIeVh",
        from_address='"Shop" <shop@example.com>',
        to="Ann <ann@example.com>",
        subject="Your order shipped",
        html=(
            "<html><head><style>.note { color: #336699; }</style></head><body>"
            '<p class="note">Order <a href="https://shop.example.com/o/1">#1</a> shipped.</p>'
            '<a href="https://t.example.com/unsubscribe/tok">Unsubscribe</a></body></html>'
        ),
        unsubscribe_url="https://t.example.com/unsubscribe/tok",
    )
    return replace(message, **changes)


class TestDelivery:
    async def test_tracked_email_arrives_composed(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], clock: ManualClock
    ) -> None:
        tracker = LinkTracker("https://t.example.com", SECRET)
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            receipt = await channel.send(tracker.apply(outbound(bcc="audit@example.com", preheader="On its way")))
            await channel.close()

        [arrived] = inbox.received
        message = arrived.message
        assert arrived.mail_from == "shop@example.com"
        assert arrived.rcpt_tos == ["ann@example.com", "audit@example.com"]
        assert message["To"] == "Ann <ann@example.com>" and message["Bcc"] is None
        assert message["Message-ID"] == receipt.message_id == "<RPILAgABcRhIBqSp7kiPekGBIeVh@example.com>"
        assert message[DELIVERY_HEADER] == "RPILAgABcRhIBqSp7kiPekGBIeVh"
        assert message["List-Unsubscribe"] == "<https://t.example.com/unsubscribe/tok>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert receipt.accepted_at == clock.now()
        assert receipt.response == "2.0.0 Ok: queued as Q1"

        html_part = message.get_body(preferencelist=("html",))
        text_part = message.get_body(preferencelist=("plain",))
        assert html_part is not None and text_part is not None
        html = html_part.get_content()
        assert '<p class="note" style="color: #336699;">' in html
        assert ">On its way</div>" in html
        [click] = [tracker.verify_click(token) for token in _tokens(html, "click")]
        assert click.url == "https://shop.example.com/o/1"
        assert [tracker.verify_open(token) for token in _tokens(html, "open")] == ["RPILAgABcRhIBqSp7kiPekGBIeVh"]
        assert 'href="https://t.example.com/unsubscribe/tok"' in html
        assert "https://t.example.com/click/" in text_part.get_content()

    async def test_one_connection_serves_many_sends(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            for number in range(5):
                await channel.send(outbound(delivery_id=f"d{number}"))
            await channel.close()

        assert len(inbox.received) == 5
        assert len({arrived.peer for arrived in inbox.received}) == 1

    async def test_concurrent_sends_share_a_bounded_pool(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        async with smtp_server(inbox) as port:
            channel = make_channel(port, max_connections=2)
            receipts = await asyncio.gather(*(channel.send(outbound(delivery_id=f"d{n}")) for n in range(12)))
            await channel.close()

        assert len({receipt.message_id for receipt in receipts}) == 12
        assert len(inbox.received) == 12
        assert 1 <= len({arrived.peer for arrived in inbox.received}) <= 2

    async def test_a_connection_the_server_closed_is_replaced(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], clock: ManualClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="tidings.messaging.channels.smtp")
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            await channel.send(outbound(delivery_id="first"))
            for session in inbox.sessions:
                session.transport.close()  # the server hangs up on the idle connection
            # Sent before the client can notice (composing in a thread would give it time): the
            # first attempt meets the closed connection, the second a fresh one.
            await channel.send_composed(compose_email(outbound(delivery_id="second"), now=clock.now()))
            await channel.close()

        assert [a.message[DELIVERY_HEADER] for a in inbox.received] == ["first", "second"]
        assert "smtp connection went stale, reconnecting" in caplog.messages
        assert inbox.received[0].peer != inbox.received[1].peer

    async def test_one_refused_recipient_does_not_stop_the_others(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.rcpt_replies["audit@example.com"] = "550 5.1.1 No such user"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            receipt = await channel.send(outbound(bcc="audit@example.com"))
            await channel.close()

        assert receipt.refused_recipients == ("audit@example.com",)
        assert inbox.received[0].rcpt_tos == ["ann@example.com"]


    async def test_lines_starting_with_a_period_arrive_intact(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]
    ) -> None:
        # A line of just "." ends the DATA of an unstuffed message; ".." would lose a period.
        text = ".\n..\n.hidden line\nlast line\n."
        html = "<html><body>\n.<p>x</p>\n..\n</body></html>"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            await channel.send(outbound(plaintext=text, html=html, inline_css=False))
            await channel.send(outbound(delivery_id="next"))  # the session stays in step
            await channel.close()

        first, second = (arrived.message for arrived in inbox.received)
        assert _lines(first.get_body(preferencelist=("plain",)).get_content()) == text + "\n"
        assert _lines(first.get_body(preferencelist=("html",)).get_content()) == html + "\n"
        assert second[DELIVERY_HEADER] == "next"

    async def test_bare_line_feeds_and_carriage_returns_go_out_as_crlf(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]
    ) -> None:
        data = b"From: shop@example.com\nTo: ann@example.com\rSubject: Hi\n\nfirst\n.\nlast"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            composed = ComposedEmail(data, "shop@example.com", ("ann@example.com",), "<m@example.com>")
            await channel.send_composed(composed)
            await channel.close()

        [arrived] = inbox.received
        assert (arrived.message["To"], arrived.message["Subject"]) == ("ann@example.com", "Hi")
        assert _lines(arrived.message.get_content()) == "first\n.\nlast\n"

    async def test_non_ascii_text_and_attachments_arrive_intact(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]
    ) -> None:
        content = b"line\r\n.\r\n\x00\xff binary"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            await channel.send(
                outbound(
                    subject="Ihre Bestellung über 20 € ist unterwegs",
                    html="<html><body><p>Grüße aus Köln, 東京</p></body></html>",
                    attachments=(Attachment.named("quittung.pdf", content),),
                )
            )
            await channel.close()

        [arrived] = inbox.received
        message = arrived.message
        assert message["Subject"] == "Ihre Bestellung über 20 € ist unterwegs"
        assert "Grüße aus Köln, 東京" in message.get_body(preferencelist=("html",)).get_content()
        assert "Grüße aus Köln, 東京" in message.get_body(preferencelist=("plain",)).get_content()
        [attachment] = message.iter_attachments()
        assert attachment.get_filename() == "quittung.pdf"
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_content() == content


class TestFailures:
    async def test_4xx_is_retryable_and_the_retry_succeeds(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.data_replies.extend(["451 4.3.0 Try again later", "250 OK"])
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
            receipt = await channel.send(outbound())
            await channel.close()

        failure = caught.value
        assert isinstance(failure, ProviderFailed)
        assert (failure.retryable, failure.code, failure.is_bounce) == (True, 451, False)
        assert "Try again later" in failure.text
        assert receipt.message_id == "<RPILAgABcRhIBqSp7kiPekGBIeVh@example.com>"
        assert len(inbox.received) == 1

    async def test_5xx_to_data_is_a_permanent_bounce(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.data_replies.append("550 5.7.1 Message rejected as spam")
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
            await channel.close()

        failure = caught.value
        assert (failure.retryable, failure.code, failure.is_bounce) == (False, 550, True)
        assert failure.text == "5.7.1 Message rejected as spam"
        assert "550 5.7.1 Message rejected as spam" in str(failure)

    async def test_every_recipient_refused_permanently_is_a_bounce(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.rcpt_replies["ann@example.com"] = "550 5.1.1 User unknown"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
            await channel.close()

        assert (caught.value.retryable, caught.value.code, caught.value.is_bounce) == (False, 550, True)

    async def test_recipient_refused_for_now_is_retryable(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.rcpt_replies["ann@example.com"] = "450 4.2.1 Mailbox busy"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
            await channel.close()

        assert (caught.value.retryable, caught.value.code, caught.value.is_bounce) == (True, 450, False)

    async def test_refused_sender_is_permanent_but_no_bounce(self, inbox: Inbox, make_channel: Callable[..., SmtpChannel]) -> None:
        inbox.mail_reply = "553 5.7.1 Sender address not allowed"
        async with smtp_server(inbox) as port:
            channel = make_channel(port)
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
            await channel.close()

        assert (caught.value.retryable, caught.value.code, caught.value.is_bounce) == (False, 553, False)

    async def test_refused_connection_is_retryable(self, make_channel: Callable[..., SmtpChannel]) -> None:
        async with smtp_server(Inbox()) as port:
            pass  # the port is free again: nothing listens on it

        with pytest.raises(SmtpFailed) as caught:
            await make_channel(port).send(outbound())

        assert caught.value.retryable is True and caught.value.code is None

    async def test_silent_server_times_out_retryably(self, clock: ManualClock) -> None:
        async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()
            writer.close()

        server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        channel = SmtpChannel(
            SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=0.2, starttls=StartTlsMode.OFF),
            clock=clock,
            local_hostname="tidings.test",
        )
        try:
            with pytest.raises(SmtpFailed) as caught:
                await channel.send(outbound())
        finally:
            server.close()
            await server.wait_closed()

        assert caught.value.retryable is True

    async def test_composition_errors_are_raised_before_connecting(self, make_channel: Callable[..., SmtpChannel]) -> None:
        channel = make_channel(1)  # nothing could answer there

        with pytest.raises(InvalidInput, match="header 'Subject' cannot be set"):
            await channel.send(outbound(headers=(("Subject", "x"),)))


class TestTls:
    async def test_required_starttls_upgrades_the_connection(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox, tls_context=server_tls, require_starttls=True) as port:
            channel = make_channel(port, starttls=StartTlsMode.REQUIRED, tls_context=client_tls)
            await channel.send(outbound())
            await channel.close()

        assert inbox.received[0].is_tls

    async def test_opportunistic_starttls_upgrades_when_offered(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox, tls_context=server_tls) as port:
            channel = make_channel(port, starttls=StartTlsMode.OPPORTUNISTIC, tls_context=client_tls)
            await channel.send(outbound())
            await channel.close()

        assert inbox.received[0].is_tls

    async def test_opportunistic_starttls_sends_in_the_clear_when_not_offered(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox) as port:
            channel = make_channel(port, starttls=StartTlsMode.OPPORTUNISTIC, tls_context=client_tls)
            await channel.send(outbound())
            await channel.close()

        assert not inbox.received[0].is_tls

    async def test_required_starttls_refuses_a_server_without_it(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox) as port:
            channel = make_channel(port, starttls=StartTlsMode.REQUIRED, tls_context=client_tls)
            with pytest.raises(SmtpFailed, match="does not offer STARTTLS") as caught:
                await channel.send(outbound())

        assert caught.value.retryable is False
        assert inbox.received == []

    async def test_untrusted_certificate_is_refused(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox, tls_context=server_tls, require_starttls=True) as port:
            channel = make_channel(port, starttls=StartTlsMode.REQUIRED, tls_context=ssl.create_default_context())
            with pytest.raises(SmtpFailed, match="TLS|certificate"):
                await channel.send(outbound())

        assert inbox.received == []

    async def test_implicit_tls(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(inbox, implicit_tls=server_tls) as port:
            channel = make_channel(port, tls=True, starttls=StartTlsMode.OPPORTUNISTIC, tls_context=client_tls)
            await channel.send(outbound())
            await channel.close()

        assert inbox.received[0].is_tls


class TestAuthentication:
    @staticmethod
    def authenticator(server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        is_valid = isinstance(data, LoginPassword) and (data.login, data.password) == (b"apikey", b"s3cret")
        # handled=False: aiosmtpd then answers 535 itself.
        return AuthResult(success=is_valid, handled=False, auth_data=data if is_valid else None)

    async def test_credentials_are_sent_after_starttls(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(
            inbox, tls_context=server_tls, require_starttls=True, authenticator=self.authenticator, auth_required=True
        ) as port:
            channel = make_channel(
                port, starttls=StartTlsMode.REQUIRED, tls_context=client_tls, username="apikey", password="s3cret"
            )
            await channel.send(outbound())
            await channel.close()

        assert inbox.received[0].login == b"apikey"

    async def test_wrong_password_is_permanent_but_no_bounce(
        self, inbox: Inbox, make_channel: Callable[..., SmtpChannel], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        async with smtp_server(
            inbox, tls_context=server_tls, require_starttls=True, authenticator=self.authenticator, auth_required=True
        ) as port:
            channel = make_channel(
                port, starttls=StartTlsMode.REQUIRED, tls_context=client_tls, username="apikey", password="wrong"
            )
            with pytest.raises(SmtpFailed, match="refused the credentials") as caught:
                await channel.send(outbound())

        assert (caught.value.retryable, caught.value.code, caught.value.is_bounce) == (False, 535, False)


class TestSettings:
    @pytest.mark.parametrize(
        ("settings", "field"),
        [
            (SmtpSettings(host="smtp.example.com", port=25), "port"),
            (SmtpSettings(), "host"),
            (SmtpSettings(host="smtp.example.com", port=465, tls=True, starttls=StartTlsMode.REQUIRED), "starttls"),
            (SmtpSettings(host="smtp.example.com", max_connections=0), "max_connections"),
        ],
    )
    def test_unusable_settings_are_refused_at_construction(self, settings: SmtpSettings, field: str, clock: ManualClock) -> None:
        with pytest.raises(InvalidInput) as caught:
            SmtpChannel(settings, clock=clock)
        assert caught.value.field == field


def _tokens(html: str, kind: str) -> list[str]:
    prefix = f"https://t.example.com/{kind}/"
    return [chunk.split('"', 1)[0] for chunk in html.split(prefix)[1:]]


def _lines(text: str) -> str:
    """Text with the CRLF line ends of the wire as LF."""
    return text.replace("\r\n", "\n")
