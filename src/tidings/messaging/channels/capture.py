"""A channel that keeps what it is given, for development and tests."""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from tidings.clock import Clock
from tidings.errors import ProviderFailed
from tidings.messaging.channels.types import ChannelKind, ProviderReceipt
from tidings.messaging.email import ComposedEmail

__all__ = ["CaptureChannel"]

MessageT = TypeVar("MessageT")


class CaptureChannel(Generic[MessageT]):
    """Accepts every message into `sent`, in order, unless a failure was queued with `fail_next`.

    It composes nothing: an email kept here has not been checked against the composition rules.
    """

    def __init__(self, *, clock: Clock, kind: ChannelKind = ChannelKind.EMAIL) -> None:
        self._clock = clock
        self._kind = kind
        self.sent: list[MessageT] = []
        # Emails handed over composed (`send_composed`), in order.
        self.composed: list[ComposedEmail] = []
        self._failures: deque[ProviderFailed] = deque()
        self.is_closed = False

    @property
    def kind(self) -> ChannelKind:
        return self._kind

    def fail_next(self, *failures: ProviderFailed) -> None:
        """Make the next sends raise these failures, one each, before accepting again."""
        self._failures.extend(failures)

    async def send(self, message: MessageT) -> ProviderReceipt:
        if self._failures:
            raise self._failures.popleft()
        self.sent.append(message)
        return ProviderReceipt(message_id=f"capture-{len(self.sent)}", accepted_at=self._clock.now())

    async def send_composed(self, composed: ComposedEmail) -> ProviderReceipt:
        if self._failures:
            raise self._failures.popleft()
        self.composed.append(composed)
        return ProviderReceipt(message_id=composed.message_id, accepted_at=self._clock.now())

    async def close(self) -> None:
        self.is_closed = True
