"""The exception tree every package extends.

    TidingsError
    ├── NotFound            a named thing does not exist (in this workspace)
    ├── InvalidInput        input broke a rule; .field names it, .reason says how
    │   └── LimitExceeded   input is over a size or count limit
    ├── Unauthenticated     credentials are missing or wrong
    ├── Conflict            the request contradicts stored state
    └── ProviderFailed      an outside party (SMTP server, push service) refused or failed; .retryable

Domain code raises these; only `api/` turns them into HTTP responses.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "InvalidInput",
    "LimitExceeded",
    "NotFound",
    "ProviderFailed",
    "TidingsError",
    "Unauthenticated",
]


class TidingsError(Exception):
    """Root of every error tidings raises on purpose."""


class NotFound(TidingsError):
    """The thing asked for does not exist, or is not visible to the caller's workspace."""


class InvalidInput(TidingsError):
    """Input broke a rule. The message is what the caller sees, in Customer.io's words where it has them."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LimitExceeded(InvalidInput):
    """Input is larger or more numerous than a configured limit allows."""


class Unauthenticated(TidingsError):
    """No credentials, or credentials that match no workspace."""


class Conflict(TidingsError):
    """The request cannot apply to the current state (e.g. two people claim one identifier)."""


class ProviderFailed(TidingsError):
    """A provider did not take a message. `retryable` says whether trying again later can succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
