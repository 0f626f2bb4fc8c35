"""Setting up a workspace's subscription center through the App API, for tests."""

from __future__ import annotations

from typing import Any

from tests.factories.track import TrackDriver, app_auth

__all__ = ["add_channel", "add_topic", "enable_center", "preferences"]


async def add_topic(track: TrackDriver, name: str, **fields: Any) -> dict[str, Any]:
    response = await track.client.post(
        "/v1/subscription_topics", json={"topic": {"name": name, **fields}}, headers=app_auth(track.workspace)
    )
    assert response.status_code == 201, response.text
    return response.json()["topic"]


async def add_channel(track: TrackDriver, type: str, **fields: Any) -> dict[str, Any]:
    response = await track.client.post(
        "/v1/subscription_channels",
        json={"channel": {"type": type, **fields}},
        headers=app_auth(track.workspace),
    )
    assert response.status_code == 201, response.text
    return response.json()["channel"]


async def enable_center(track: TrackDriver, enabled: bool = True) -> dict[str, Any]:
    response = await track.client.put(
        "/v1/subscription_center",
        json={"subscription_center": {"enabled": enabled}},
        headers=app_auth(track.workspace),
    )
    assert response.status_code == 200, response.text
    return response.json()["subscription_center"]


async def preferences(track: TrackDriver, identifier: str, **params: Any) -> dict[str, Any]:
    """A person's computed preferences as `GET /v1/customers/{id}/subscription_preferences` answers."""
    response = await track.app_get(f"/v1/customers/{identifier}/subscription_preferences", **params)
    assert response.status_code == 200, response.text
    return response.json()["customer"]
