"""Errors of messaging, each under a category of `tidings.errors`.

    InvalidInput
    ├── RenderFailed           rendering stopped; the delivery fails with this text
    │   └── TemplateInvalid    the template does not parse (the composer's "Review Errors")
    ├── InvalidTrackingToken   a click or open link was altered, or signed with another secret
    ├── LinkExpired            a subscription-center link was followed after it expired
    └── LimitExceeded
        └── SnippetTooLarge    a snippet, or a workspace's snippets together, are over the limit
    ProviderFailed
    └── SmtpFailed             an SMTP server refused a message or could not be reached
"""

from __future__ import annotations

from tidings.errors import InvalidInput, LimitExceeded, ProviderFailed

__all__ = ["InvalidTrackingToken", "LinkExpired", "RenderFailed", "SmtpFailed", "SnippetTooLarge", "TemplateInvalid"]


class RenderFailed(InvalidInput):
    """Liquid did not evaluate, e.g. `Variable 'customer.first_name' is missing`.

    Customer.io does not send a message whose Liquid fails; the delivery is marked Failed with this
    text as its failure message, and a retry renders again with current data.
    """


class TemplateInvalid(RenderFailed):
    """The template's Liquid syntax is wrong; the message is Customer.io's composer error text."""


class SnippetTooLarge(LimitExceeded):
    """A snippet is over 16 KB, or all of a workspace's snippets together reach 5 MB."""


class InvalidTrackingToken(InvalidInput):
    """A tracking link's token does not verify. Customer.io answers "Invalid link security token"."""

    def __init__(self, message: str = "Invalid link security token") -> None:
        super().__init__(message, field="token")


class SmtpFailed(ProviderFailed):
    """An SMTP server did not take a message.

    `code` and `text` are the server's reply (`code` is None when no reply came: refused connection,
    timeout, dropped connection). `retryable` is true for 4xx replies and connection trouble.
    `is_bounce` is true when the server permanently refused the recipients or the message itself (a
    5xx reply to RCPT or DATA), which the sender records as a bounce; a permanent failure of our own
    setup (credentials, sender address, TLS) is not a bounce.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: int | None = None,
        text: str = "",
        is_bounce: bool = False,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code
        self.text = text
        self.is_bounce = is_bounce


class LinkExpired(InvalidInput):
    """A signed link that expires (a subscription-center link lasts 24 hours) was followed too late."""

    def __init__(self, message: str = "This link has expired") -> None:
        super().__init__(message, field="token")
