"""Providers that carry a composed message to a person, one module per provider."""

from __future__ import annotations

__all__: list[str] = []
