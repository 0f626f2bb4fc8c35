"""Generating and checking API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_key", "keys_match", "new_app_api_key", "new_site_id", "new_track_api_key", "new_write_key"]


def new_site_id() -> str:
    return secrets.token_hex(10)


def new_track_api_key() -> str:
    return secrets.token_hex(10)


def new_app_api_key() -> str:
    return secrets.token_hex(24)


def new_write_key() -> str:
    return secrets.token_hex(16)


def hash_key(key: str) -> str:
    """Keys are long random strings, so one SHA-256 is enough; no slow password hash is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def keys_match(given: str, stored: str) -> bool:
    return hmac.compare_digest(given.encode(), stored.encode())
