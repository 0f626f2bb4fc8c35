"""Why a segment condition was refused."""

from __future__ import annotations

from tidings.errors import InvalidInput

__all__ = ["InvalidCondition"]


class InvalidCondition(InvalidInput):
    """A condition document broke a rule. `field` is the path of the bad node, such as
    `children[1].operator`; the message says what is wrong with it."""

    def __str__(self) -> str:
        """The message led by the path, so an API error names the node (`children[1].operator: ...`)."""
        message = super().__str__()
        return f"{self.field}: {message}" if self.field else message
