"""The HTTP face: Track API, App API and the error mapping."""

from tidings.api.app import create_app

__all__ = ["create_app"]
