"""Pipelines (Segment-spec) translation: call types, timestamps, semantic events, batches and encodings."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest import decompress_body, pipelines
from tidings.log import (
    DeleteDevice,
    DeleteObject,
    DeletePerson,
    Identify,
    IdentifyObject,
    Merge,
    Message,
    ObjectRef,
    Page,
    PersonRef,
    RelatedObject,
    RelatedPerson,
    ReportDelivery,
    Screen,
    SuppressPerson,
    Track,
    Unrelate,
    UnsuppressPerson,
    UpsertDevice,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _one(call: dict[str, Any], call_type: str | None = None) -> Message:
    messages = pipelines.translate(call, received_at=NOW, call_type=call_type)
    assert len(messages) == 1, messages
    return messages[0]


def _error(call: dict[str, Any], call_type: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        pipelines.translate(call, received_at=NOW, call_type=call_type)
    return caught.value


def test_identify_carries_traits_message_id_and_anonymous_id() -> None:
    message = _one(
        {"userId": "u1", "anonymousId": "a1", "messageId": "m1", "traits": {"plan": "pro"}}, "identify"
    )
    assert message == Identify(
        received_at=NOW, message_id="m1", person=PersonRef(user_id="u1"), traits={"plan": "pro"}, anonymous_id="a1"
    )


def test_anonymous_identify_is_ignored_as_journeys_does() -> None:
    assert pipelines.translate({"anonymousId": "a1", "traits": {"x": 1}}, received_at=NOW, call_type="identify") == []


@pytest.mark.parametrize("call_type", ["identify", "track", "page", "screen", "alias"])
def test_every_call_needs_user_id_or_anonymous_id(call_type: str) -> None:
    error = _error({"event": "x", "name": "x", "previousId": "p"}, call_type)
    assert str(error) == "userId or anonymousId is required"
    assert error.field == "userId"


def test_numeric_user_id_is_a_string_and_blank_is_absent() -> None:
    assert _one({"userId": 42, "event": "e"}, "track").person == PersonRef(user_id="42")
    assert str(_error({"userId": "  ", "event": "e"}, "track")) == "userId or anonymousId is required"


def test_track_needs_an_event_name_and_keeps_properties() -> None:
    assert str(_error({"userId": "u1"}, "track")) == "event is required"
    message = _one({"userId": "u1", "event": " Purchased ", "properties": {"price": 3}}, "track")
    assert isinstance(message, Track) and type(message) is Track
    assert (message.name, message.properties, message.person) == ("Purchased", {"price": 3}, PersonRef(user_id="u1"))


def test_anonymous_track_waits_for_a_merge() -> None:
    message = _one({"anonymousId": "a1", "event": "Viewed"}, "track")
    assert isinstance(message, Track)
    assert (message.person, message.anonymous_id) == (None, "a1")


def test_page_name_falls_back_to_url_then_path() -> None:
    assert _one({"userId": "u1", "name": "Home"}, "page") == Page(
        received_at=NOW, person=PersonRef(user_id="u1"), name="Home"
    )
    url = _one({"userId": "u1", "properties": {"url": "https://x.test/a", "path": "/a"}}, "page")
    assert isinstance(url, Page) and url.name == "https://x.test/a"
    path = _one({"userId": "u1", "properties": {"path": "/a"}}, "page")
    assert isinstance(path, Page) and path.name == "/a"
    assert str(_error({"userId": "u1"}, "page")) == "name is required"


def test_screen_needs_a_name() -> None:
    assert isinstance(_one({"userId": "u1", "name": "Cart"}, "screen"), Screen)
    assert str(_error({"userId": "u1"}, "screen")) == "name is required"


def test_alias_merges_previous_id_into_user_id() -> None:
    assert _one({"userId": "u1", "previousId": "old"}, "alias") == Merge(
        received_at=NOW, primary=PersonRef(user_id="u1"), secondary=PersonRef(user_id="old")
    )
    assert str(_error({"userId": "u1"}, "alias")) == "previousId is required"


# Objects and relationships


def test_group_updates_the_object_and_relates_the_caller() -> None:
    call = {
        "userId": "u1",
        "groupId": "acme",
        "traits": {"name": "Acme", "objectTypeId": "2", "relationshipAttributes": {"role": "admin"}},
    }
    assert _one(call, "group") == IdentifyObject(
        received_at=NOW,
        object=ObjectRef(type_id=2, object_id="acme"),
        attributes={"name": "Acme"},
        add_relationships=[RelatedPerson(person=PersonRef(user_id="u1"), attributes={"role": "admin"})],
    )


@pytest.mark.parametrize("key", ["relationshipAttributes", "relationship_traits", "relationshipTraits"])
def test_group_reads_relationship_attributes_under_every_documented_name(key: str) -> None:
    message = _one({"userId": "u1", "groupId": "g", "traits": {key: {"seat": 1}}}, "group")
    assert isinstance(message, IdentifyObject)
    assert message.add_relationships[0].attributes == {"seat": 1} and message.attributes == {}


def test_group_without_a_user_only_updates_the_object_of_type_one() -> None:
    message = _one({"anonymousId": "a1", "groupId": 42, "traits": {"plan": "pro"}}, "group")
    assert message == IdentifyObject(received_at=NOW, object=ObjectRef(type_id=1, object_id="42"), attributes={"plan": "pro"})


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"userId": "u1"}, "groupId"),
        ({"userId": "u1", "groupId": "g", "traits": {"objectTypeId": "zero"}}, "traits.object_type_id"),
        ({"userId": "u1", "groupId": "g", "traits": {"objectTypeId": 0}}, "traits.object_type_id"),
        ({"userId": "u1", "groupId": "g" * 151}, "groupId"),
        ({"userId": "u1", "groupId": "g", "traits": {"relationship": "x"}}, "traits.relationship"),
        ({"userId": "u1", "groupId": "g", "traits": {"relationshipAttributes": []}}, "traits.relationshipAttributes"),
    ],
)
def test_group_refuses_what_customer_io_refuses(call: dict[str, Any], field: str) -> None:
    assert _error(call, "group").field == field


def test_identify_with_object_traits_relates_the_person() -> None:
    call = {"userId": "u1", "traits": {"plan": "pro", "objectId": "acme", "object_type_id": 3, "relationshipTraits": {"r": 1}}}
    assert _one(call, "identify") == Identify(
        received_at=NOW,
        person=PersonRef(user_id="u1"),
        traits={"plan": "pro"},
        add_relationships=[RelatedObject(object=ObjectRef(type_id=3, object_id="acme"), attributes={"r": 1})],
    )


@pytest.mark.parametrize("event", ["Object Deleted", "Delete Object"])
def test_object_deleted_deletes_the_object_whoever_sends_it(event: str) -> None:
    call = {"anonymousId": "anything", "event": event, "properties": {"objectId": "acme", "objectTypeId": 2}}
    assert _one(call, "track") == DeleteObject(received_at=NOW, object=ObjectRef(type_id=2, object_id="acme"))
    assert _error({"userId": "u1", "event": event}, "track").field == "properties.object_id"


@pytest.mark.parametrize("event", ["Relationship Deleted", "Delete Relationship"])
def test_relationship_deleted_unrelates_the_user_or_the_email(event: str) -> None:
    by_user = _one({"userId": "u1", "event": event, "properties": {"objectId": "acme"}}, "track")
    assert by_user == Unrelate(received_at=NOW, person=PersonRef(user_id="u1"), objects=[ObjectRef(object_id="acme")])
    by_email = _one({"anonymousId": "a", "event": event, "properties": {"objectId": "acme", "email": "a@b.co"}}, "track")
    assert isinstance(by_email, Unrelate) and by_email.person == PersonRef(email="a@b.co")
    assert _error({"anonymousId": "a", "event": event, "properties": {"objectId": "acme"}}, "track").field == "userId"


def test_report_delivery_event_is_recorded_against_its_delivery() -> None:
    call = {
        "anonymousId": "dlv-1",
        "event": "Report Delivery Event",
        "properties": {"recipient": "tok", "metric": "Opened", "deliveryId": "dlv-1", "href": "app://x", "other": 1},
        "timestamp": "2026-03-01T11:00:00Z",
    }
    assert _one(call, "track") == ReportDelivery(
        received_at=NOW,
        delivery_id="dlv-1",
        metric="opened",
        recipient="tok",
        timestamp=datetime(2026, 3, 1, 11, tzinfo=UTC),
        details={"href": "app://x"},
    )
    assert _error({"anonymousId": "d", "event": "Report Delivery Event", "properties": {"metric": "opened"}}, "track").field == (
        "properties.deliveryId"
    )
    bad_metric = {"anonymousId": "d", "event": "Report Delivery Event", "properties": {"deliveryId": "d", "metric": "x"}}
    assert _error(bad_metric, "track").field == "properties.metric"


def test_report_content_event_is_not_stored_as_an_event() -> None:
    assert pipelines.translate({"userId": "u1", "event": "Report Content Event"}, received_at=NOW, call_type="track") == []


# App lifecycle events


def test_application_opened_is_an_event_and_refreshes_the_device() -> None:
    call = {
        "userId": "u1",
        "event": "Application Opened",
        "messageId": "m1",
        "context": {"device": {"token": "tok", "type": "ios"}},
    }
    event, device = pipelines.translate(call, received_at=NOW, call_type="track")
    assert isinstance(event, Track) and event.name == "Application Opened" and event.message_id == "m1"
    assert device == UpsertDevice(received_at=NOW, person=PersonRef(user_id="u1"), token="tok", platform="ios")


def test_application_uninstalled_removes_the_device() -> None:
    call = {"userId": "u1", "event": "Application Uninstalled", "context": {"device": {"token": "tok"}}}
    _, device = pipelines.translate(call, received_at=NOW, call_type="track")
    assert device == DeleteDevice(received_at=NOW, person=PersonRef(user_id="u1"), token="tok")


def test_application_events_without_a_token_are_only_events() -> None:
    assert len(pipelines.translate({"userId": "u1", "event": "Application Installed"}, received_at=NOW, call_type="track")) == 1


def test_application_installed_before_identify_keeps_the_device_with_the_anonymous_id() -> None:
    anonymous = {"anonymousId": "a", "event": "Application Installed", "context": {"device": {"token": "t", "type": "ios"}}}
    _, device = pipelines.translate(anonymous, received_at=NOW, call_type="track")
    assert device == UpsertDevice(received_at=NOW, anonymous_id="a", token="t", platform="ios")


def test_device_created_before_identify_belongs_to_the_anonymous_id() -> None:
    call = {"anonymousId": "a", "event": "Device Created or Updated", "context": {"device": {"token": "t", "type": "android"}}}
    device = _one(call, "track")
    assert isinstance(device, UpsertDevice)
    assert (device.person, device.anonymous_id, device.token, device.platform) == (None, "a", "t", "android")
    deleted = _one({"anonymousId": "a", "event": "Device Deleted", "context": {"device": {"token": "t"}}}, "track")
    assert deleted == DeleteDevice(received_at=NOW, anonymous_id="a", token="t")


def test_type_comes_from_the_call_when_the_endpoint_gives_none() -> None:
    assert isinstance(_one({"type": "screen", "userId": "u1", "name": "S"}), Screen)
    assert _error({"type": "boop", "userId": "u1"}).field == "type"


# Timestamps


def test_integer_timestamps_too_large_for_seconds_are_milliseconds() -> None:
    # The iOS SDK sends ISO strings because "a bare integer here is read as milliseconds".
    message = _one({"userId": "u1", "event": "e", "timestamp": 1769940000123}, "track")
    assert isinstance(message, Track) and message.timestamp == datetime(2026, 2, 1, 10, 0, 0, 123000, tzinfo=UTC)


def test_explicit_timestamp_wins_in_iso_or_unix_seconds() -> None:
    iso = _one({"userId": "u1", "event": "e", "timestamp": "2026-02-01T10:00:00.123Z", "sentAt": "2030-01-01"}, "track")
    assert isinstance(iso, Track) and iso.timestamp == datetime(2026, 2, 1, 10, 0, 0, 123000, tzinfo=UTC)
    unix = _one({"userId": "u1", "event": "e", "timestamp": 1769940000}, "track")
    assert isinstance(unix, Track) and unix.timestamp == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    naive = _one({"userId": "u1", "event": "e", "timestamp": "2026-02-01T10:00:00"}, "track")
    assert isinstance(naive, Track) and naive.timestamp == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    offset = _one({"userId": "u1", "event": "e", "timestamp": "2026-02-01T11:00:00+01:00"}, "track")
    assert isinstance(offset, Track) and offset.timestamp == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)


def test_timestamp_is_corrected_for_the_client_clock() -> None:
    # The client's clock is an hour fast; the event happened 5 minutes before it was sent.
    message = _one(
        {
            "userId": "u1",
            "event": "e",
            "originalTimestamp": "2026-03-01T12:55:00Z",
            "sentAt": "2026-03-01T13:00:00Z",
        },
        "track",
    )
    assert isinstance(message, Track) and message.timestamp == NOW - timedelta(minutes=5)


def test_without_timestamps_the_server_time_is_used() -> None:
    message = _one({"userId": "u1", "event": "e", "originalTimestamp": "2026-03-01T12:55:00Z"}, "track")
    assert isinstance(message, Track) and message.timestamp is None


@pytest.mark.parametrize("value", ["yesterday", True, {"a": 1}, -5])
def test_bad_timestamps_are_refused(value: Any) -> None:
    assert _error({"userId": "u1", "event": "e", "timestamp": value}, "track").field == "timestamp"


# Semantic events


@pytest.mark.parametrize("event", ["Device Created or Updated", "Device Added or Updated"])
def test_device_upsert_reads_context_device_first(event: str) -> None:
    message = _one(
        {
            "userId": "u1",
            "event": event,
            "context": {"device": {"token": "tok-ctx", "type": "iOS"}},
            "properties": {"device": {"token": "tok-prop", "type": "android", "model": "X"}, "app_version": "2"},
        },
        "track",
    )
    assert message == UpsertDevice(
        received_at=NOW,
        person=PersonRef(user_id="u1"),
        token="tok-ctx",
        platform="ios",
        attributes={"app_version": "2", "model": "X"},
    )


def test_device_upsert_falls_back_to_properties_device() -> None:
    message = _one(
        {
            "userId": "u1",
            "event": "Device Created or Updated",
            "properties": {"device": {"token": "t1", "type": "android", "last_used": 1769940000}},
        },
        "track",
    )
    assert isinstance(message, UpsertDevice)
    assert (message.token, message.platform, message.last_used) == (
        "t1",
        "android",
        datetime(2026, 2, 1, 10, 0, tzinfo=UTC),
    )


def test_device_events_need_a_token_and_a_platform() -> None:
    upsert = {"userId": "u1", "event": "Device Created or Updated"}
    assert _error(upsert, "track").field == "context.device.token"
    assert _error({**upsert, "context": {"device": {"token": "t", "type": "web"}}}, "track").field == "context.device.type"


def test_device_deleted() -> None:
    message = _one({"userId": "u1", "event": "Device Deleted", "context": {"device": {"token": "t1"}}}, "track")
    assert message == DeleteDevice(received_at=NOW, person=PersonRef(user_id="u1"), token="t1")


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("User Deleted", DeletePerson),
        ("Delete Person", DeletePerson),
        ("User Suppressed", SuppressPerson),
        ("Suppress Person", SuppressPerson),
        ("User Unsuppressed", UnsuppressPerson),
        ("Unsuppress Person", UnsuppressPerson),
    ],
)
def test_person_operations(event: str, kind: type[Message]) -> None:
    assert _one({"userId": "u1", "event": event, "messageId": "m"}, "track") == kind(
        received_at=NOW, message_id="m", person=PersonRef(user_id="u1")
    )


def test_user_deleted_falls_back_to_properties_email() -> None:
    message = _one({"anonymousId": "a", "event": "User Deleted", "properties": {"email": "x@y.test"}}, "track")
    assert message == DeletePerson(received_at=NOW, person=PersonRef(email="x@y.test"))


# Batches


def test_batch_items_inherit_the_batch_sent_at() -> None:
    calls = pipelines.batch_calls(
        {
            "sentAt": "2026-03-01T13:00:00Z",
            "batch": [
                {"type": "track", "userId": "u1", "event": "e", "originalTimestamp": "2026-03-01T12:59:00Z"},
                {"type": "identify", "userId": "u1", "sentAt": "x"},
            ],
        }
    )
    assert calls[0]["sentAt"] == "2026-03-01T13:00:00Z" and calls[1]["sentAt"] == "x"
    message = _one(calls[0])
    assert isinstance(message, Track) and message.timestamp == NOW - timedelta(minutes=1)


@pytest.mark.parametrize("body", [{}, {"batch": {}}, {"batch": [1]}])
def test_batch_must_be_an_array_of_objects(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        pipelines.batch_calls(body)


# Content encodings


def test_gzip_and_both_deflate_forms_are_inflated() -> None:
    body = b'{"userId": "u1"}'
    assert decompress_body(gzip.compress(body), encoding="gzip", limit=100) == body
    assert decompress_body(zlib.compress(body), encoding="deflate", limit=100) == body
    raw = zlib.compressobj(wbits=-15)
    assert decompress_body(raw.compress(body) + raw.flush(), encoding="deflate", limit=100) == body
    assert decompress_body(body, encoding="", limit=100) == body


def test_bad_encodings_and_bombs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not valid gzip"):
        decompress_body(b"not gzip", encoding="gzip", limit=100)
    with pytest.raises(InvalidInput, match="unsupported Content-Encoding"):
        decompress_body(b"x", encoding="br", limit=100)
    with pytest.raises(LimitExceeded):
        decompress_body(gzip.compress(b"0" * 10_000_000), encoding="gzip", limit=64 * 1024)
    with pytest.raises(InvalidInput, match="truncated"):
        decompress_body(gzip.compress(b"x" * 50)[:-12], encoding="gzip", limit=100)


def test_identify_reads_traits_from_context_as_rudderstack_sends_them() -> None:
    (message,) = pipelines.translate(
        {"type": "identify", "userId": "u1", "context": {"traits": {"plan": "pro", "city": "Oslo"}}, "traits": {"plan": "team"}},
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
    )

    assert message.traits == {"plan": "team", "city": "Oslo"}
