"""A run of identifies written together ends as applying each identify on its own would.

The same calls go to two workspaces: one is applied by a processor taking 50 messages a batch
(runs of identifies share look-ups and writes, between runs of events), the other by one taking a
message a batch. People, their attribute timestamps, activity and events must come out the same.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver
from tidings.config import ProcessorSettings
from tidings.db.schema import activities, events, people
from tidings.processor import Processor
from tidings.services import Services
from tidings.workspaces import IdentifierMode

_IDS = ["u1", "u2", "u3", "u4"]
_EMAILS = ["a@x.com", "B@x.com", "b@x.com", "c@x.com"]
_ANONYMOUS_IDS = ["anon-1", "anon-2", "anon-3"]


def _calls(seed: int, count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body): identifies by id or email with changing traits, some merging an
    anonymous id, and events, page views and anonymous events, over few people.

    Everyone has an id from their first call, so no call merges two people: which of two people
    created in one batch is older (and survives) is decided by their random cio_ids.
    """
    rng = random.Random(seed)
    calls = []
    for _ in range(count):
        person = rng.choice(_IDS)
        if rng.random() < 0.1:
            anonymous = {"anonymous_id": rng.choice(_ANONYMOUS_IDS), "name": rng.choice(["a", "b"])}
            calls.append(("POST", "/api/v1/events", anonymous))
            continue
        if rng.random() < 0.3:
            event: dict[str, Any] = {"name": rng.choice(["a", "b"])}
            if rng.random() < 0.3:  # a page view sets the person's _last_visit
                event |= {"type": "page", "timestamp": 1_767_225_600 + rng.randrange(100)}
            calls.append(("POST", f"/api/v1/customers/{person}/events", event))
            continue
        body: dict[str, Any] = {"plan": rng.choice(["free", "pro", ""]), "seats": rng.randrange(3)}
        if rng.random() < 0.4:
            body["email"] = rng.choice(_EMAILS)
        if rng.random() < 0.2:
            person, body["id"] = rng.choice(_EMAILS), person
        if rng.random() < 0.1:
            body["_update"] = True
        if rng.random() < 0.15:  # merges the anonymous id's events into the person, the first time
            body["anonymous_id"] = rng.choice(_ANONYMOUS_IDS)
        calls.append(("PUT", f"/api/v1/customers/{person}", body))
    return calls


def _state(conn: Connection, *, workspace_id: int) -> dict[str, Any]:
    """What the workspace holds, with cio_ids (random) replaced by each person's id and email."""
    names = {}
    found = []
    for row in conn.execute(select(people).where(people.c.workspace_id == workspace_id)):
        names[row.cio_id] = (row.id, row.email)
        found.append((row.id, row.email, row.email_key, row.attributes, row.attribute_timestamps, row.updated_at))
    lines = [
        (names.get(row.cio_id), row.type, row.name, row.data)
        for row in conn.execute(select(activities).where(activities.c.workspace_id == workspace_id).order_by(activities.c.pk))
    ]
    stored = [
        (names.get(row.cio_id), row.anonymous_id, row.name, row.processed_at)
        for row in conn.execute(select(events).where(events.c.workspace_id == workspace_id).order_by(events.c.pk))
    ]
    return {"people": sorted(found, key=repr), "activities": lines, "events": stored}


@pytest.mark.parametrize("mode", [IdentifierMode.EMAIL_OR_ID, IdentifierMode.ID_ONLY])
@pytest.mark.parametrize("seed", range(4))
async def test_batched_identifies_end_as_identifies_one_at_a_time(
    track: TrackDriver, services: Services, seed: int, mode: IdentifierMode
) -> None:
    one_at_a_time = Processor(
        services.db, clock=services.clock, settings=ProcessorSettings(batch_size=1),
        partitions=services.settings.database.log_partitions,
    )
    states = []
    for processor in (services.processor, one_at_a_time):
        await processor.run_until_idle()  # what other tests left in the shared log
        workspace = await new_workspace(services, identifier_mode=mode)
        driver = TrackDriver(track.client, services, workspace)
        for method, path, body in _calls(seed, 80):
            await driver.call(method, path, body)
        await processor.run_until_idle()
        states.append(await services.db.read(_state, workspace_id=workspace.workspace.id))
    assert states[0] == states[1]
    assert states[0]["people"]


async def test_identifies_between_events_apply_in_one_pass_without_retrying_one_by_one(
    track: TrackDriver, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person an event creates is found by the identify after it in the same batch, and one an
    identify creates by the event after it."""
    await services.processor.run_until_idle()  # what other tests left in the shared log
    passes = []
    apply_all = Processor._apply_all

    def recording(self: Processor, *args: Any, one_by_one: bool) -> None:
        passes.append(one_by_one)
        apply_all(self, *args, one_by_one=one_by_one)

    monkeypatch.setattr(Processor, "_apply_all", recording)
    await track.event("u1", "opened")
    await track.identify("u1", email="u1@x.com", plan="pro")
    await track.event("u2", "opened")
    await track.identify("u2", plan="free")
    await track.identify("u1", plan="team")
    await track.event("u1", "closed")
    await track.identify("u3", plan="free")
    await track.event("u3", "opened")
    assert await track.processed() == 8
    assert passes == [False]
    customer = await track.customer("u1")
    assert (customer["identifiers"]["email"], customer["attributes"]["plan"]) == ("u1@x.com", "team")
    assert [a["name"] for a in await track.activities("u1", type="event")] == ["closed", "opened"]
    assert [a["name"] for a in await track.activities("u3", type="event")] == ["opened"]
