"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: it keeps what it accepts and answers from a script."""

from __future__ import annotations

import asyncio
import email
import ssl
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, LoginPassword, Session

__all__ = ["Inbox", "Received", "smtp_server"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: Any
    is_tls: bool
    login: bytes | None


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and answers from a script when told to."""

    received: list[Received] = field(default_factory=list)
    data_replies: deque[str] = field(default_factory=deque)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    mail_reply: str | None = None
    sessions: list[SmtpServer] = field(default_factory=list)

    async def handle_EHLO(self, server: SmtpServer, session: Session, envelope: Envelope, hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        if server not in self.sessions:
            self.sessions.append(server)
        return responses

    async def handle_MAIL(self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            reply = self.data_replies.popleft()
            if not reply.startswith("250"):
                return reply
        parsed = email.message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        # STARTTLS leaves `session.ssl`; implicit TLS shows on the transport.
        is_tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
        self.received.append(Received(envelope.mail_from or "", list(envelope.rcpt_tos), parsed, session.peer, is_tls, login))
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


@asynccontextmanager
async def smtp_server(inbox: Inbox, *, implicit_tls: ssl.SSLContext | None = None, **options: Any) -> AsyncIterator[int]:
    """A real SMTP server on 127.0.0.1 in this event loop; yields its port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SmtpServer(inbox, hostname="mx.test", loop=loop, **options), "127.0.0.1", 0, ssl=implicit_tls
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for session in inbox.sessions:
            if session.transport is not None:
                session.transport.close()
        await server.wait_closed()
