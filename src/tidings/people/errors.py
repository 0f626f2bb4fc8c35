"""Why a message about a person could not be applied."""

from __future__ import annotations

from tidings.errors import Conflict, InvalidInput, NotFound

__all__ = ["IdentifierConflict", "IdentifierSuppressed", "ObjectNotFound", "ObjectTypeNotFound", "PersonNotFound"]


class PersonNotFound(NotFound):
    """No person has the identifier, and the operation may not create one (cio_id, `_update`)."""


class IdentifierSuppressed(InvalidInput):
    """The identifier belongs to a suppressed (forgotten) person; Customer.io ignores such calls."""


class IdentifierConflict(Conflict):
    """The identifiers given belong to different people who cannot be merged automatically."""


class ObjectNotFound(NotFound):
    """No object has the cio_object_id given; objects are created only by type and object_id."""


class ObjectTypeNotFound(NotFound):
    """The object type does not exist and the workspace may not create more types from API calls."""
