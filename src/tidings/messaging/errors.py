"""Why a message could not be composed.

    InvalidInput
    ├── RenderFailed          rendering stopped; the delivery fails with this text
    │   └── TemplateInvalid   the template does not parse (the composer's "Review Errors")
    └── LimitExceeded
        └── SnippetTooLarge   a snippet, or a workspace's snippets together, are over the limit
"""

from __future__ import annotations

from tidings.errors import InvalidInput, LimitExceeded

__all__ = ["RenderFailed", "SnippetTooLarge", "TemplateInvalid"]


class RenderFailed(InvalidInput):
    """Liquid did not evaluate, e.g. `Variable 'customer.first_name' is missing`.

    Customer.io does not send a message whose Liquid fails; the delivery is marked Failed with this
    text as its failure message, and a retry renders again with current data.
    """


class TemplateInvalid(RenderFailed):
    """The template's Liquid syntax is wrong; the message is Customer.io's composer error text."""


class SnippetTooLarge(LimitExceeded):
    """A snippet is over 16 KB, or all of a workspace's snippets together reach 5 MB."""
