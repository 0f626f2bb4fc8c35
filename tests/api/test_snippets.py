"""Snippets through the App API on Customer.io's paths: saved, replaced, listed, deleted, limited
to 16 KB each, and private to their workspace."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services


async def put_snippet(track: TrackDriver, body: dict[str, Any], path: str = "/v1/snippets") -> httpx.Response:
    return await track.client.put(path, json=body, headers=app_auth(track.workspace))


async def listed(track: TrackDriver) -> list[dict[str, Any]]:
    return (await track.app_get("/v1/snippets")).json()["snippets"]


async def test_a_snippet_is_saved_listed_and_replaced_by_name(track: TrackDriver) -> None:
    saved = await put_snippet(track, {"name": "address", "value": "1 Main St"})
    await put_snippet(track, {"value": "Hello {{customer.first_name}}"}, path="/v1/snippets/main greeting")
    replaced = await put_snippet(track, {"name": "address", "value": "2 Side St"})

    assert saved.status_code == 200, saved.text
    assert saved.json()["snippet"]["name"] == "address" and isinstance(saved.json()["snippet"]["updated_at"], int)
    assert replaced.json()["snippet"]["value"] == "2 Side St"
    assert [(s["name"], s["value"]) for s in await listed(track)] == [
        ("address", "2 Side St"),
        ("main greeting", "Hello {{customer.first_name}}"),
    ]


async def test_a_deleted_snippet_is_gone_and_deleting_it_again_is_404(track: TrackDriver) -> None:
    await put_snippet(track, {"name": "footer", "value": "Bye"})

    deleted = await track.client.delete("/v1/snippets/footer", headers=app_auth(track.workspace))
    again = await track.client.delete("/v1/snippets/footer", headers=app_auth(track.workspace))

    assert deleted.status_code == 200
    assert again.status_code == 404
    assert await listed(track) == []


async def test_a_snippet_over_16_kb_is_refused_and_the_old_value_kept(track: TrackDriver) -> None:
    await put_snippet(track, {"name": "terms", "value": "short"})

    refused = await put_snippet(track, {"name": "terms", "value": "x" * (16 * 1024 + 1)})

    assert refused.status_code == 400
    assert refused.json()["meta"]["error"] == "snippet 'terms' is 16385 bytes; a snippet can be at most 16 KB"
    assert [s["value"] for s in await listed(track)] == ["short"]


async def test_bad_snippets_answer_400_naming_the_field(track: TrackDriver) -> None:
    no_name = await put_snippet(track, {"value": "x"})
    not_text = await put_snippet(track, {"name": "n", "value": 5})
    broken = await put_snippet(track, {"name": "n", "value": "{% if %}"})

    assert no_name.status_code == 400 and no_name.json()["meta"]["error"].startswith("name must be a snippet name")
    assert not_text.status_code == 400 and not_text.json()["meta"]["error"] == "value must be text"
    assert broken.status_code == 400 and broken.json()["meta"]["error"].startswith("value: ")


async def test_another_workspace_sees_none_of_the_snippets(track: TrackDriver, services: Services) -> None:
    await put_snippet(track, {"name": "secret", "value": "ours"})
    other = TrackDriver(track.client, services, await new_workspace(services))

    assert await listed(other) == []
    deleting = await other.client.delete("/v1/snippets/secret", headers=app_auth(other.workspace))
    assert deleting.status_code == 404
    assert [s["name"] for s in await listed(track)] == ["secret"]
    unauthenticated = await track.client.get("/v1/snippets")
    assert unauthenticated.status_code == 401
