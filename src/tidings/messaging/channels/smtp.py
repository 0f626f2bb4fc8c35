"""Email over SMTP, with connections kept open and reused across sends.

What an SMTP outcome means for a delivery: a 2xx reply is Sent; a 4xx reply, a refused, dropped or
timed-out connection is worth trying again later (`SmtpFailed(retryable=True)`, the delivery is
Attempted); a 5xx reply to RCPT or DATA is a bounce (`retryable=False, is_bounce=True`), as
Customer.io treats it ("4xx → retried, 5xx → permanent"). A 5xx reply about our own setup
(credentials, sender address) is permanent but no bounce.
"""

from __future__ import annotations

import logging
import re
import ssl
from contextlib import suppress
from functools import partial

import aiosmtplib
import anyio
import anyio.to_thread

from tidings.clock import Clock
from tidings.config import SmtpSettings, StartTlsMode
from tidings.errors import InvalidInput
from tidings.messaging.channels.types import ChannelKind, ProviderReceipt
from tidings.messaging.email import ComposedEmail, OutboundEmail, compose_email, email_bytes
from tidings.messaging.errors import SmtpFailed

__all__ = ["SmtpChannel"]

logger = logging.getLogger(__name__)

# A line end of any kind: CRLF, or a bare LF or CR.
_LINE_END = re.compile(rb"\r\n|\r|\n")


class SmtpChannel:
    """Sends `OutboundEmail`s through one SMTP server.

    Up to `settings.max_connections` connections stay open between sends, so a burst pays for
    the TCP, TLS and AUTH handshakes once. A connection the server closed while idle is replaced
    and the send tried once more on a fresh one. `tls_context` overrides the system's trusted
    certificates (a private CA, or a test's).
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        clock: Clock,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if not settings.host:
            raise InvalidInput("an SMTP host is required", field="host")
        if settings.port == 25:
            raise InvalidInput("port 25 is not allowed; use 587 (STARTTLS), 465 (TLS) or 2525", field="port")
        if settings.tls and settings.starttls is StartTlsMode.REQUIRED:
            raise InvalidInput("implicit TLS and required STARTTLS cannot both be set", field="starttls")
        if settings.max_connections < 1:
            raise InvalidInput("max_connections must be at least 1", field="max_connections")
        self._settings = settings
        self._clock = clock
        uses_tls = settings.tls or settings.starttls is not StartTlsMode.OFF
        # Built once: loading the trusted certificates for every connection costs milliseconds.
        self._tls_context = tls_context or (ssl.create_default_context() if uses_tls else None)
        self._local_hostname = local_hostname
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = anyio.Semaphore(settings.max_connections)
        self._is_closed = False

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.EMAIL

    async def send(self, message: OutboundEmail) -> ProviderReceipt:
        """Compose `message` and hand it to the server. Raises `InvalidInput` for a message that
        breaks a composition rule and `SmtpFailed` when the server does not take it."""
        composed = await anyio.to_thread.run_sync(partial(compose_email, message, now=self._clock.now()))
        return await self.send_composed(composed)

    async def send_composed(self, composed: ComposedEmail) -> ProviderReceipt:
        """Hand an already composed message to the server; see `send`."""
        assert not self._is_closed, "SmtpChannel.send() after close(); build a new channel"
        data = email_bytes(composed)
        host = self._settings.host
        async with self._slots:
            for attempt in range(2):
                smtp, is_reused = await self._checkout()
                try:
                    refused, response = await _transaction(smtp, composed.sender, composed.recipients, data)
                except aiosmtplib.SMTPServerDisconnected as exc:
                    self._discard(smtp)
                    if is_reused and attempt == 0:
                        # The server closed this pooled connection while it sat idle.
                        logger.info("smtp connection went stale, reconnecting", extra={"smtp_host": host})
                        continue
                    reason = f"SMTP server closed the connection: {exc.message}"
                    raise SmtpFailed(reason, retryable=True) from None
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    self._checkin(smtp)
                    raise _recipients_refused(exc) from None
                except aiosmtplib.SMTPResponseException as exc:
                    if exc.code == 421:  # "service not available, closing transmission channel"
                        self._discard(smtp)
                    else:
                        self._checkin(smtp)
                    raise _reply_failure(exc) from None
                except (aiosmtplib.SMTPException, OSError) as exc:
                    self._discard(smtp)
                    raise _connection_failure(exc) from None
                self._checkin(smtp)
                return ProviderReceipt(
                    message_id=composed.message_id,
                    accepted_at=self._clock.now(),
                    response=response,
                    refused_recipients=tuple(refused),
                )
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def close(self) -> None:
        """Say QUIT on every idle connection; connections in use close when their send ends."""
        self._is_closed = True
        idle, self._idle = self._idle, []
        for smtp in idle:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    async def _checkout(self) -> tuple[aiosmtplib.SMTP, bool]:
        while self._idle:
            smtp = self._idle.pop()
            if smtp.is_connected:
                return smtp, True
        return await self._connect(), False

    def _checkin(self, smtp: aiosmtplib.SMTP) -> None:
        if smtp.is_connected and not self._is_closed:
            self._idle.append(smtp)
        else:
            smtp.close()

    def _discard(self, smtp: aiosmtplib.SMTP) -> None:
        smtp.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.tls,
            start_tls=False,  # decided below, so that "required" can fail with a clear reason
            tls_context=self._tls_context,
            timeout=settings.timeout_seconds,
            local_hostname=self._local_hostname,
        )
        try:
            await smtp.connect()
            if not settings.tls and settings.starttls is not StartTlsMode.OFF:
                await smtp.ehlo()
                if smtp.supports_extension("starttls"):
                    await smtp.starttls()
                elif settings.starttls is StartTlsMode.REQUIRED:
                    raise SmtpFailed(
                        f"SMTP server {settings.host} does not offer STARTTLS, which is required",
                        retryable=False,
                    )
            if settings.username is not None:
                await smtp.login(settings.username, settings.password or "")
        except SmtpFailed:
            smtp.close()
            raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise SmtpFailed(
                f"SMTP server {settings.host} refused the credentials: {exc.code} {exc.message}",
                retryable=False,
                code=exc.code,
                text=exc.message,
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            smtp.close()
            raise SmtpFailed(
                f"SMTP server {settings.host} refused the session: {exc.code} {exc.message}",
                retryable=not 500 <= exc.code < 600,
                code=exc.code,
                text=exc.message,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise _connection_failure(exc, host=settings.host) from None
        logger.info("smtp connection opened", extra={"smtp_host": settings.host, "smtp_port": settings.port})
        return smtp


async def _transaction(
    smtp: aiosmtplib.SMTP, sender: str, recipients: tuple[str, ...], data: bytes
) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
    """MAIL, RCPT and DATA for one message whose lines already end in CRLF, as `sendmail` would.

    `sendmail` rewrites every message's line endings twice (once to count its size) and dot-stuffs
    it with regular expressions, a fifth or more of the sender's own CPU per email; composed messages
    have CRLF line ends already, so only the dot-stuffing is left to do, with one `replace`. Returns
    the refused recipients and the server's reply to the message, and raises what `sendmail`
    raises (after a RSET, so the connection can take the next message).
    """
    data = _crlf_lines(data)
    # RFC 5321 §4.5.2: a line that starts with a period gets one more.
    stuffed = (b"." if data.startswith(b".") else b"") + data.replace(b"\r\n.", b"\r\n..")
    try:
        await smtp.mail(sender, options=[f"SIZE={len(data)}"] if smtp.supports_extension("size") else [])
        failures: list[aiosmtplib.SMTPRecipientRefused] = []
        for recipient in recipients:
            try:
                await smtp.rcpt(recipient)
            except aiosmtplib.SMTPRecipientRefused as exc:
                failures.append(exc)
        if len(failures) == len(recipients):
            raise aiosmtplib.SMTPRecipientsRefused(failures)
        refused = {exc.recipient: aiosmtplib.SMTPResponse(exc.code, exc.message) for exc in failures}
        response = await _data(smtp, stuffed)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        with suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await smtp.rset()  # leave the connection ready for the next message
        raise
    return refused, response.message


def _crlf_lines(data: bytes) -> bytes:
    """`data` with every line ended by CRLF, as SMTP needs: composed messages are already, and
    three counts confirm it without rewriting them."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        data = _LINE_END.sub(b"\r\n", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


async def _data(smtp: aiosmtplib.SMTP, stuffed: bytes) -> aiosmtplib.SMTPResponse:
    """DATA, then the dot-stuffed message and its end mark."""
    start = await smtp.execute_command(b"DATA")
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    protocol = smtp.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    try:
        # read_response marks a reply as expected before it waits, with no await in between, so
        # the reply cannot arrive unclaimed.
        protocol.write(stuffed + b".\r\n")
        response = await protocol.read_response(timeout=smtp.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        smtp.close()  # as `SMTP.data` does: the session is out of step
        raise
    if response.code != 250:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


def _reply_failure(exc: aiosmtplib.SMTPResponseException) -> SmtpFailed:
    is_permanent = 500 <= exc.code < 600
    # A refused sender is our setup's fault; a refused message (DATA) is the recipient's system
    # saying no, which is a bounce.
    is_bounce = is_permanent and isinstance(exc, aiosmtplib.SMTPDataError)
    return SmtpFailed(
        f"SMTP server refused the message: {exc.code} {exc.message}",
        retryable=not is_permanent,
        code=exc.code,
        text=exc.message,
        is_bounce=is_bounce,
    )


def _recipients_refused(exc: aiosmtplib.SMTPRecipientsRefused) -> SmtpFailed:
    # Every recipient was refused; if any refusal was temporary, a later attempt can succeed.
    first = min(exc.recipients, key=lambda refusal: refusal.code)
    is_permanent = all(500 <= refusal.code < 600 for refusal in exc.recipients)
    return SmtpFailed(
        f"SMTP server refused the recipients: {first.code} {first.message}",
        retryable=not is_permanent,
        code=first.code,
        text=first.message,
        is_bounce=is_permanent,
    )


def _connection_failure(exc: Exception, *, host: str | None = None) -> SmtpFailed:
    where = f" {host}" if host else ""
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SmtpFailed(f"SMTP server{where} cannot take this message: {exc.message}", retryable=False)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return SmtpFailed(f"TLS with SMTP server{where} failed: {exc}", retryable=True)
    reason = exc.message if isinstance(exc, aiosmtplib.SMTPException) else str(exc) or type(exc).__name__
    return SmtpFailed(f"SMTP server{where} could not be reached: {reason}", retryable=True)
