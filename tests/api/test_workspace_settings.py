"""The workspace's message settings through `GET`/`PUT /v1/workspace/settings`: read, changed one
at a time, refused naming the setting, and used by the next send."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories.mail import deliver, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services


async def put_settings(track: TrackDriver, settings: Any) -> httpx.Response:
    return await track.client.put(
        "/v1/workspace/settings", json={"settings": settings}, headers=app_auth(track.workspace)
    )


async def test_a_new_workspace_sends_normally_with_open_tracking_and_the_language_attribute(
    track: TrackDriver,
) -> None:
    response = await track.app_get("/v1/workspace/settings")

    assert response.status_code == 200
    assert response.json() == {
        "settings": {"send_mode": "normal", "test_address": None, "open_tracking": True, "language_attribute": "language"}
    }


async def test_settings_change_one_at_a_time_and_keep_the_rest(track: TrackDriver) -> None:
    await put_settings(track, {"send_mode": "test", "test_address": "qa@example.com"})
    changed = await put_settings(track, {"language_attribute": "locale", "open_tracking": False})

    assert changed.json()["settings"] == {
        "send_mode": "test",
        "test_address": "qa@example.com",
        "open_tracking": False,
        "language_attribute": "locale",
    }
    assert (await track.app_get("/v1/workspace/settings")).json() == changed.json()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"send_mode": "sometimes"}, "send_mode must be one of: normal, test, never"),
        ({"send_mode": "test"}, "send_mode test needs a test_address"),
        ({"test_address": "nobody"}, "test_address must be an email address"),
        ({"open_tracking": "yes"}, "open_tracking must be true or false"),
        ({"language_attribute": ""}, "language_attribute must be an attribute name of at most 150 bytes"),
        ({"timezone": "UTC"}, "unknown setting 'timezone'"),
        ("normal", "settings is required and must be an object"),
    ],
)
async def test_bad_settings_answer_400_naming_the_setting(track: TrackDriver, changes: Any, error: str) -> None:
    refused = await put_settings(track, changes)

    assert refused.status_code == 400
    assert refused.json()["meta"]["error"].startswith(error)
    assert (await track.app_get("/v1/workspace/settings")).json()["settings"]["send_mode"] == "normal"


async def test_settings_need_the_workspace_s_app_api_key(track: TrackDriver) -> None:
    response = await track.client.put(
        "/v1/workspace/settings", json={"settings": {"send_mode": "never"}}, headers={"Authorization": "Bearer nope"}
    )

    assert response.status_code == 401


async def test_test_mode_sends_the_next_email_to_the_test_address(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)
    await put_settings(track, {"send_mode": "test", "test_address": "qa@example.com"})

    await send(track, message_data={"order": "1"})
    await deliver(services, track)

    assert [r.rcpt_tos for r in inbox.received] == [["qa@example.com"]]
