"""The data-in log: recent accepted and rejected calls per source, through the App API."""

from __future__ import annotations

import base64
from datetime import timedelta

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver, app_auth
from tidings.clock import ManualClock, to_unix
from tidings.services import Services


def write_key_auth(track: TrackDriver) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{track.workspace.cdp_api_key}:".encode()).decode()}


async def data_in(track: TrackDriver, **params: str | int) -> list[dict]:
    response = await track.app_get("/v1/data_in", **params)
    assert response.status_code == 200, response.text
    return response.json()["calls"]


async def test_accepted_and_rejected_calls_are_listed_newest_first(track: TrackDriver, clock: ManualClock) -> None:
    headers = write_key_auth(track)
    await track.client.post("/v1/track", json={"userId": "u1", "event": "signed_up"}, headers=headers)
    clock.advance(seconds=1)
    batch = {"batch": [{"type": "identify", "userId": "u1", "traits": {"plan": "pro"}}, {"type": "track", "userId": "u1"}]}
    assert (await track.client.post("/v1/batch", json=batch, headers=headers)).json() == {}
    clock.advance(seconds=1)
    await track.identify("u2", plan="free")

    calls = await data_in(track)

    summary = [(c["source"], c["status"], c["type"]) for c in calls]
    assert summary[0] == ("track", "accepted", "identify") and summary[3] == ("pipelines", "accepted", "track")
    # The batch's two calls arrived together.
    assert set(summary[1:3]) == {("pipelines", "rejected", "track"), ("pipelines", "accepted", "identify")}
    (rejected,) = [c for c in calls if c["status"] == "rejected"]
    assert (rejected["reason"], rejected["field"]) == ("event is required", "event")
    assert '"userId":"u1"' in rejected["body"]
    assert calls[3]["message"]["name"] == "signed_up" and calls[3]["received_at"] == to_unix(clock.now()) - 2


async def test_filters_by_source_and_status(track: TrackDriver) -> None:
    await track.client.post("/v1/track", json={"userId": "u1"}, headers={**write_key_auth(track), "X-Strict-Mode": "1"})
    await track.identify("u2")

    assert [c["source"] for c in await data_in(track, source="track")] == ["track"]
    (rejected,) = await data_in(track, source="pipelines", status="rejected")
    assert rejected["reason"] == "event is required"
    assert await data_in(track, source="pipelines", status="accepted") == []
    bad = await track.app_get("/v1/data_in", source="segment")
    assert (bad.status_code, bad.json()) == (400, {"meta": {"error": "source must be one of: app, pipelines, track"}})


async def test_another_workspace_sees_none_of_it(track: TrackDriver) -> None:
    await track.identify("u1")
    other = await new_workspace(track.services, name="other")

    response = await track.client.get("/v1/data_in", headers=app_auth(other))

    assert response.json() == {"calls": []}
    assert (await track.client.get("/v1/data_in")).status_code == 401


async def test_entries_are_kept_for_seven_days(track: TrackDriver, services: Services, clock: ManualClock) -> None:
    await track.identify("old")
    await track.client.post("/v1/track", json={"userId": "old"}, headers=write_key_auth(track))
    await track.processed()
    clock.advance(days=7, seconds=1)
    await track.identify("new")
    await track.processed()

    await services.scheduler.run_once()

    calls = await data_in(track)
    # The newest applied entry of a partition stays (see forget_data_in_before); older ones go.
    assert [c["message"]["person"] for c in calls] == [{"user_id": "new"}]
    assert await track.customer("old") is not None  # forgetting the log forgets no data
