"""Email layouts through the App API (tidings' own endpoints): created with their `{{content}}`
slot, read, changed, and not deleted while a transactional message uses them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.track import TrackDriver, app_auth

FRAME = '<html><body><header>{{layout.name}}</header>{{ content }}<footer>Bye</footer></body></html>'


async def post_layout(track: TrackDriver, layout: Any) -> httpx.Response:
    return await track.client.post("/v1/layouts", json={"layout": layout}, headers=app_auth(track.workspace))


async def test_a_layout_is_created_read_listed_and_changed(track: TrackDriver) -> None:
    created = await post_layout(track, {"name": "Brand", "html": FRAME})
    layout_id = created.json()["layout"]["id"]

    changed = await track.client.put(
        f"/v1/layouts/{layout_id}", json={"layout": {"name": "Brand 2"}}, headers=app_auth(track.workspace)
    )

    assert created.status_code == 201, created.text
    assert changed.json()["layout"]["name"] == "Brand 2" and changed.json()["layout"]["html"] == FRAME
    assert (await track.app_get(f"/v1/layouts/{layout_id}")).json()["layout"]["name"] == "Brand 2"
    assert [layout["id"] for layout in (await track.app_get("/v1/layouts")).json()["layouts"]] == [layout_id]


async def test_bad_layouts_answer_400_naming_the_problem(track: TrackDriver) -> None:
    no_slot = await post_layout(track, {"name": "Plain", "html": "<p>nothing here</p>"})
    broken = await post_layout(track, {"name": "Broken", "html": "{{content}}{% if %}"})
    no_name = await post_layout(track, {"html": FRAME})
    not_object = await post_layout(track, "Brand")

    assert no_slot.status_code == 400 and no_slot.json()["meta"]["error"] == "html: layout must include {{content}}"
    assert broken.status_code == 400 and broken.json()["meta"]["error"].startswith("html: ")
    assert no_name.json()["meta"]["error"] == "name is required"
    assert not_object.json()["meta"]["error"] == "layout is required and must be an object"
    assert (await track.app_get("/v1/layouts")).json()["layouts"] == []


async def test_a_layout_in_use_is_not_deleted_until_the_message_lets_go(track: TrackDriver) -> None:
    layout_id = (await post_layout(track, {"name": "Brand", "html": FRAME})).json()["layout"]["id"]
    template = await track.client.post(
        "/v1/transactional",
        json={"name": "Receipt", "settings": {"layout_id": layout_id}, "content": {"email": {"subject": "Hi"}}},
        headers=app_auth(track.workspace),
    )
    message_id = template.json()["message"]["id"]

    refused = await track.client.delete(f"/v1/layouts/{layout_id}", headers=app_auth(track.workspace))
    await track.client.put(
        f"/v1/transactional/{message_id}", json={"settings": {"layout_id": None}}, headers=app_auth(track.workspace)
    )
    deleted = await track.client.delete(f"/v1/layouts/{layout_id}", headers=app_auth(track.workspace))

    assert template.json()["message"]["layout_id"] == layout_id
    assert refused.status_code == 409
    assert refused.json()["meta"]["error"] == f"layout {layout_id} is used by transactional message {message_id}; change it first"
    assert deleted.status_code == 200
    assert (await track.app_get(f"/v1/layouts/{layout_id}")).status_code == 404


async def test_a_template_cannot_name_a_layout_that_does_not_exist(track: TrackDriver) -> None:
    refused = await track.client.post(
        "/v1/transactional",
        json={"name": "Receipt", "settings": {"layout_id": 999999}, "content": {"email": {"subject": "Hi"}}},
        headers=app_auth(track.workspace),
    )

    assert refused.status_code == 400
    assert refused.json()["meta"]["error"] == "settings.layout_id: there is no layout 999999"
