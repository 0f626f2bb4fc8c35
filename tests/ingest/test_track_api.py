"""Track API v1 translation and body decoding: Customer.io's limits, error texts and wire quirks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tidings.clock import from_unix
from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest import IngestLimits, decode_body, track_api
from tidings.log import Identify, Page, PersonRef, Screen, Track, UpsertDevice

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIMITS = IngestLimits()
FORM = "application/x-www-form-urlencoded"


def _identify(body: dict[str, Any], identifier: str = "u1", *, limits: IngestLimits = LIMITS) -> Identify:
    return track_api.identify(identifier, body, received_at=NOW, limits=limits)


def _event(body: dict[str, Any], identifier: str = "u1") -> Track:
    return track_api.customer_event(identifier, body, received_at=NOW, limits=LIMITS)


def _anonymous_event(body: dict[str, Any]) -> Track:
    return track_api.anonymous_event(body, received_at=NOW, limits=LIMITS)


def _device(body: dict[str, Any], identifier: str = "u1") -> UpsertDevice:
    return track_api.upsert_device(identifier, body, received_at=NOW, limits=LIMITS)


def _merge(body: dict[str, Any]) -> Any:
    return track_api.merge_customers(body, received_at=NOW, limits=LIMITS)


def _refused(
    call: Callable[[], object], *, message: str, field: str, error: type[InvalidInput] = InvalidInput
) -> None:
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert raised.value.field == field


def _json_body(size: int) -> bytes:
    """A JSON object body of exactly `size` bytes."""
    body = b'{"a":"' + b"x" * (size - 8) + b'"}'
    assert len(body) == size
    return body


# Request bodies


def test_body_at_32_kb_is_accepted() -> None:
    assert decode_body(_json_body(32 * 1024), content_type="application/json", limit=LIMITS.body_bytes)["a"]


def test_body_over_32_kb_is_refused() -> None:
    _refused(
        lambda: decode_body(
            _json_body(32 * 1024 + 1), content_type="application/json", limit=LIMITS.body_bytes
        ),
        message="request body cannot be larger than 32 KB",
        field="body",
        error=LimitExceeded,
    )


@pytest.mark.parametrize("raw", [b"", b"   ", b"\n"])
def test_empty_body_is_an_empty_object(raw: bytes) -> None:
    assert decode_body(raw, content_type="application/json", limit=LIMITS.body_bytes) == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'a': 1}",
        b"nul",
        b"\xff\xfe",
        b'{"a":1}x',
        b'{"a":1e400}',
        b'{"a":"\x80"}',
        b'{"\xed\xa0\x80":1}',
    ],
)
def test_invalid_json_is_refused(raw: bytes) -> None:
    _refused(
        lambda: decode_body(raw, content_type="application/json", limit=LIMITS.body_bytes),
        message="request body must be valid JSON",
        field="body",
    )


@pytest.mark.parametrize("raw", [b"[]", b'"a"', b"1", b"null", b"true"])
def test_json_that_is_not_an_object_is_refused(raw: bytes) -> None:
    _refused(
        lambda: decode_body(raw, content_type="application/json", limit=LIMITS.body_bytes),
        message="request body must be a JSON object",
        field="body",
    )


def _nested_json(depth: int) -> bytes:
    """A JSON object whose containers nest `depth` levels, the object itself included."""
    return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_json_nested_64_levels_is_accepted() -> None:
    assert decode_body(_nested_json(64), content_type="application/json", limit=LIMITS.body_bytes)


@pytest.mark.parametrize("depth", [65, 10_000])
def test_json_nested_over_64_levels_is_refused_not_crashed(depth: int) -> None:
    _refused(
        lambda: decode_body(_nested_json(depth), content_type="application/json", limit=LIMITS.body_bytes),
        message="request body cannot nest deeper than 64 levels",
        field="body",
    )


@pytest.mark.parametrize(
    "raw",
    [b'{"a":"x\\u0000y"}', b'{"a\\u0000":1}', b'{"data":{"tags":["ok","\\u0000"]}}'],
    ids=["value", "key", "nested"],
)
def test_json_with_a_nul_character_is_refused(raw: bytes) -> None:
    _refused(
        lambda: decode_body(raw, content_type="application/json", limit=LIMITS.body_bytes),
        message="request body cannot contain null characters (\\u0000)",
        field="body",
    )


@pytest.mark.parametrize("raw", [b"name=a%00b", b"data[a%00]=1"], ids=["value", "key"])
def test_form_with_a_nul_character_is_refused(raw: bytes) -> None:
    _refused(
        lambda: decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes),
        message="request body cannot contain null characters (\\u0000)",
        field="body",
    )


def test_json_is_decoded_whatever_the_content_type_says() -> None:
    assert decode_body(b'{"a": 1}', content_type="text/plain", limit=LIMITS.body_bytes) == {"a": 1}


def test_form_body_nests_brackets_like_rails() -> None:
    raw = b"name=purchased&data[price]=23.45&timestamp=1359389415"
    assert decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes) == {
        "name": "purchased",
        "data": {"price": "23.45"},
        "timestamp": "1359389415",
    }


def test_form_body_collects_empty_brackets_into_arrays() -> None:
    raw = b"name=tagged&data[tags][]=a&data[tags][]=b&data[deep][er][]=c"
    assert decode_body(raw, content_type=f"{FORM}; charset=utf-8", limit=LIMITS.body_bytes) == {
        "name": "tagged",
        "data": {"tags": ["a", "b"], "deep": {"er": ["c"]}},
    }


def test_form_body_decodes_percent_escapes_and_plus() -> None:
    raw = b"name=signed+up&data[city]=S%C3%A3o%20Paulo&data[empty]="
    assert decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes) == {
        "name": "signed up",
        "data": {"city": "São Paulo", "empty": ""},
    }


@pytest.mark.parametrize("raw", [b"a", b"a=1&&b=2", b"\xff=1"])
def test_malformed_form_body_is_refused(raw: bytes) -> None:
    _refused(
        lambda: decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes),
        message="request body must be valid form data",
        field="body",
    )


def test_form_body_nested_64_levels_is_accepted() -> None:
    raw = b"a" + b"[b]" * 62 + b"[]=1"
    assert decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes)


@pytest.mark.parametrize("levels", [64, 5_000])
def test_form_body_nested_over_64_levels_is_refused_not_crashed(levels: int) -> None:
    raw = b"a" + b"[b]" * levels + b"=1"
    _refused(
        lambda: decode_body(raw, content_type=FORM, limit=LIMITS.body_bytes),
        message="request body cannot nest deeper than 64 levels",
        field="body",
    )


def test_form_event_becomes_a_track_with_string_data_and_numeric_timestamp() -> None:
    body = decode_body(
        b"name=purchased&data[price]=23.45&timestamp=1359389415", content_type=FORM, limit=LIMITS.body_bytes
    )
    event = _event(body, "5")
    assert event == Track(
        received_at=NOW,
        person=PersonRef(user_id="5"),
        name="purchased",
        properties={"price": "23.45"},
        timestamp=from_unix(1359389415),
    )


def test_form_identify_sets_string_attributes() -> None:
    body = decode_body(b"email=a%40x.com&plan=pro&_update=true", content_type=FORM, limit=LIMITS.body_bytes)
    message = _identify(body)
    assert message.traits == {"email": "a@x.com", "plan": "pro"}
    assert message.update_only is True


# Identify


def test_identify_names_the_path_person_and_keeps_attributes() -> None:
    message = _identify({"email": "a@x.com", "plan": "pro", "likes_pizza": True})
    assert message == Identify(
        received_at=NOW,
        person=PersonRef(user_id="u1"),
        traits={"email": "a@x.com", "plan": "pro", "likes_pizza": True},
    )


@pytest.mark.parametrize("identifier", ["", " ", "\t"])
def test_identify_without_a_path_identifier_needs_an_id(identifier: str) -> None:
    _refused(lambda: _identify({}, identifier), message="id attribute must be present", field="id")


@pytest.mark.parametrize("value", [5, 5.0, True, None, ["a"], {"a": "b"}])
def test_identify_id_attribute_must_be_a_string(value: object) -> None:
    _refused(lambda: _identify({"id": value}), message="id attribute must be a string value", field="id")


def test_identify_id_attribute_cannot_be_empty() -> None:
    _refused(lambda: _identify({"id": ""}), message="id attribute cannot be an empty string", field="id")


def test_identify_id_attribute_of_150_characters_is_accepted() -> None:
    assert _identify({"id": "é" * 150}, "cio_abc").traits == {"id": "é" * 150}


def test_identify_id_attribute_over_150_characters_is_refused() -> None:
    _refused(
        lambda: _identify({"id": "a" * 151}),
        message="id attribute cannot be longer than 150 characters",
        field="id",
        error=LimitExceeded,
    )


def test_path_identifier_of_150_characters_is_accepted() -> None:
    assert _identify({}, "é" * 150).person == PersonRef(user_id="é" * 150)


def test_path_identifier_over_150_characters_is_refused() -> None:
    _refused(
        lambda: _identify({}, "a" * 151),
        message="identifier cannot be longer than 150 characters",
        field="identifier",
        error=LimitExceeded,
    )


@pytest.mark.parametrize("call", [_identify, _event, _device], ids=["identify", "event", "device"])
def test_path_identifier_with_a_nul_character_is_refused(
    call: Callable[[dict[str, Any], str], object],
) -> None:
    body = {"name": "n", "device": {"id": "tok", "platform": "ios"}}
    _refused(
        lambda: call(body, "u\x001"),
        message="identifier cannot contain null characters (\\u0000)",
        field="identifier",
    )


def test_identify_of_300_attributes_is_accepted() -> None:
    body = {f"a{i}": i for i in range(300)} | {
        "_update": False,
        "_timestamp": 1359389415,
        "anonymous_id": "x",
    }
    assert len(_identify(body).traits) == 300


def test_identify_of_301_attributes_is_refused() -> None:
    _refused(
        lambda: _identify({f"a{i}": i for i in range(301)}),
        message="cannot identify more than 300 attributes in one request",
        field="attributes",
        error=LimitExceeded,
    )


def test_workspace_limits_override_the_defaults() -> None:
    limits = IngestLimits.for_workspace({"attributes_per_call": "2", "unknown_limit": 9})
    _refused(
        lambda: _identify({"a": 1, "b": 2, "c": 3}, limits=limits),
        message="cannot identify more than 2 attributes in one request",
        field="attributes",
    )


@pytest.mark.parametrize("name", ["n" * 150, "é" * 75])
def test_attribute_name_of_150_bytes_is_accepted(name: str) -> None:
    assert _identify({name: 1}).traits == {name: 1}


@pytest.mark.parametrize("name", ["n" * 151, "é" * 75 + "n"])
def test_attribute_name_over_150_bytes_is_refused(name: str) -> None:
    _refused(
        lambda: _identify({name: 1}),
        message="attribute name cannot be longer than 150 bytes",
        field=name,
        error=LimitExceeded,
    )


@pytest.mark.parametrize("value", ["v" * 1000, "é" * 500, ["v" * 996], {"k": "v" * 992}])
def test_attribute_value_of_1000_bytes_is_accepted(value: object) -> None:
    assert _identify({"bio": value}).traits == {"bio": value}


@pytest.mark.parametrize("value", ["v" * 1001, "é" * 500 + "v", ["v" * 997], {"k": "v" * 993}])
def test_attribute_value_over_1000_bytes_is_refused(value: object) -> None:
    _refused(
        lambda: _identify({"bio": value}),
        message="value for attribute 'bio' cannot be longer than 1000 bytes",
        field="bio",
        error=LimitExceeded,
    )


@pytest.mark.parametrize("value", [True, "true", "TRUE", "1", 1])
def test_identify_update_flag_means_update_only(value: object) -> None:
    message = _identify({"_update": value, "plan": "pro"})
    assert message.update_only is True
    assert message.traits == {"plan": "pro"}


@pytest.mark.parametrize("value", [False, "false", "0", 0, None, "yes"])
def test_identify_without_a_true_update_flag_may_create(value: object) -> None:
    assert _identify({"_update": value}).update_only is False


def test_identify_without_update_flag_may_create() -> None:
    assert _identify({"plan": "pro"}).update_only is False


@pytest.mark.parametrize(
    ("value", "expected"), [(1359389415, 1359389415), ("1359389415", 1359389415), (1.5, 1.5)]
)
def test_identify_timestamp_dates_the_attributes(value: object, expected: float) -> None:
    message = _identify({"_timestamp": value, "plan": "pro"})
    assert message.attributes_at == from_unix(expected)
    assert message.traits == {"plan": "pro"}


@pytest.mark.parametrize("value", [None, ""])
def test_identify_without_timestamp_is_dated_when_applied(value: object) -> None:
    assert _identify({"_timestamp": value}).attributes_at is None


@pytest.mark.parametrize("value", ["2013-01-28", 1359389415000, "soon", True, {}])
def test_identify_timestamp_must_be_unix_seconds(value: object) -> None:
    _refused(
        lambda: _identify({"_timestamp": value}),
        message="_timestamp must be a unix timestamp in seconds",
        field="_timestamp",
    )


def test_identify_anonymous_id_is_kept_apart_from_attributes() -> None:
    message = _identify({"anonymous_id": "anon-1", "plan": "pro"})
    assert message.anonymous_id == "anon-1"
    assert message.traits == {"plan": "pro"}


@pytest.mark.parametrize("value", [True, 1.5, ["a"], {"a": 1}])
def test_identify_anonymous_id_must_be_a_string(value: object) -> None:
    _refused(
        lambda: _identify({"anonymous_id": value}),
        message="anonymous_id must be a string",
        field="anonymous_id",
    )


def test_identify_anonymous_id_over_150_characters_is_refused() -> None:
    _refused(
        lambda: _identify({"anonymous_id": "a" * 151}),
        message="anonymous_id cannot be longer than 150 characters",
        field="anonymous_id",
        error=LimitExceeded,
    )


# Events


def test_customer_event_carries_name_data_timestamp_and_id() -> None:
    event = _event({"name": " purchased ", "data": {"price": 23.45}, "timestamp": 1359389415, "id": "01HXYZ"})
    assert event == Track(
        received_at=NOW,
        person=PersonRef(user_id="u1"),
        name="purchased",
        properties={"price": 23.45},
        timestamp=from_unix(1359389415),
        event_id="01HXYZ",
    )


@pytest.mark.parametrize(
    ("kind", "message_type"), [("page", Page), ("screen", Screen), ("event", Track), (None, Track)]
)
def test_event_type_chooses_page_screen_or_event(kind: str | None, message_type: type[Track]) -> None:
    event = _event({"name": "https://example.com/pricing", "type": kind})
    assert type(event) is message_type
    assert event.name == "https://example.com/pricing"


@pytest.mark.parametrize("kind", ["click", "PAGE", 1, ["page"], {"page": 1}])
def test_event_type_outside_event_page_screen_is_refused(kind: object) -> None:
    _refused(
        lambda: _event({"name": "n", "type": kind}),
        message="type must be one of: event, page, screen",
        field="type",
    )


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "   "}, {"name": None}, {"name": True}, {"name": ["a"]}]
)
def test_event_name_must_not_be_blank(body: dict[str, Any]) -> None:
    _refused(lambda: _event(body), message="event name must not be blank", field="name")
    _refused(lambda: _anonymous_event(body), message="event name must not be blank", field="name")


def test_numeric_event_name_is_read_as_text() -> None:
    assert _event({"name": 42}).name == "42"


@pytest.mark.parametrize("name", ["n" * 100, "é" * 50, " " + "n" * 100 + " "])
def test_event_name_of_100_bytes_is_accepted(name: str) -> None:
    assert _event({"name": name}).name == name.strip()


@pytest.mark.parametrize("name", ["n" * 101, "é" * 50 + "n"])
def test_event_name_over_100_bytes_is_refused(name: str) -> None:
    _refused(
        lambda: _event({"name": name}),
        message="event name cannot be longer than 100 bytes",
        field="name",
        error=LimitExceeded,
    )
    _refused(
        lambda: _anonymous_event({"name": name}),
        message="event name cannot be longer than 100 bytes",
        field="name",
        error=LimitExceeded,
    )


@pytest.mark.parametrize("data", ["", "x", 1, ["a"], True])
def test_event_data_must_be_a_hash(data: object) -> None:
    _refused(
        lambda: _event({"name": "n", "data": data}),
        message='event data must be a hash (e.g., send "data":{} instead of "data":"")',
        field="data",
    )


def test_missing_or_null_event_data_is_empty() -> None:
    assert _event({"name": "n"}).properties == {}
    assert _event({"name": "n", "data": None}).properties == {}


def _data_of_size(size: int) -> dict[str, str]:
    data = {"k": "v" * (size - len('{"k":""}'))}
    assert len(json.dumps(data, separators=(",", ":"))) == size
    return data


def test_event_data_of_100000_bytes_is_accepted() -> None:
    data = _data_of_size(100_000)
    assert _event({"name": "n", "data": data}).properties == data


def test_event_data_over_100000_bytes_is_refused() -> None:
    _refused(
        lambda: _event({"name": "n", "data": _data_of_size(100_001)}),
        message="event data cannot be longer than 100000 bytes",
        field="data",
        error=LimitExceeded,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1359389415, 1359389415),
        (1359389415.25, 1359389415.25),
        ("1359389415", 1359389415),
        (" 1359389415 ", 1359389415),
        (0, 0),
    ],
)
def test_event_timestamp_accepts_unix_seconds_as_numbers_or_numeric_strings(
    value: object, expected: float
) -> None:
    assert _event({"name": "n", "timestamp": value}).timestamp == from_unix(expected)


@pytest.mark.parametrize("value", [None, ""])
def test_event_without_timestamp_is_dated_when_applied(value: object) -> None:
    assert _event({"name": "n", "timestamp": value}).timestamp is None


@pytest.mark.parametrize(
    "value",
    [
        "2013-01-28T16:10:15Z",
        "2013-01-28",
        1359389415000,
        "1359389415000",
        -1,
        "garbage",
        "nan",
        "inf",
        True,
        [1359389415],
        {"seconds": 1},
        pytest.param(10**400, id="10**400"),
    ],
)
def test_event_timestamp_refuses_dates_milliseconds_and_garbage(value: object) -> None:
    _refused(
        lambda: _event({"name": "n", "timestamp": value}),
        message="timestamp must be a unix timestamp in seconds",
        field="timestamp",
    )


@pytest.mark.parametrize("event_id", ["", 5, ["a"], "a" * 151])
def test_event_id_must_be_a_short_string(event_id: object) -> None:
    _refused(
        lambda: _event({"name": "n", "id": event_id}), message="event id must be a ULID string", field="id"
    )


@pytest.mark.parametrize("identifier", ["", "  "])
def test_customer_event_needs_a_path_identifier(identifier: str) -> None:
    _refused(
        lambda: _event({"name": "n"}, identifier), message="identifier cannot be blank", field="identifier"
    )


def test_anonymous_event_has_no_person_and_keeps_its_anonymous_id() -> None:
    event = _anonymous_event({"name": "viewed", "anonymous_id": "anon-1", "data": {"a": 1}})
    assert event.person is None
    assert event.anonymous_id == "anon-1"
    assert event.properties == {"a": 1}


def test_anonymous_event_without_anonymous_id_is_accepted() -> None:
    assert _anonymous_event({"name": "invite", "anonymous_id": ""}).anonymous_id is None


def test_anonymous_event_anonymous_id_of_150_characters_is_accepted() -> None:
    assert _anonymous_event({"name": "n", "anonymous_id": "a" * 150}).anonymous_id == "a" * 150


def test_anonymous_event_anonymous_id_over_150_characters_is_refused() -> None:
    _refused(
        lambda: _anonymous_event({"name": "n", "anonymous_id": "a" * 151}),
        message="anonymous_id cannot be longer than 150 characters",
        field="anonymous_id",
        error=LimitExceeded,
    )


@pytest.mark.parametrize("value", [True, 1.5, ["a"]])
def test_anonymous_event_anonymous_id_must_be_a_string(value: object) -> None:
    _refused(
        lambda: _anonymous_event({"name": "n", "anonymous_id": value}),
        message="anonymous_id must be a string",
        field="anonymous_id",
    )


# Devices


def test_device_upsert_carries_token_platform_last_used_and_attributes() -> None:
    message = _device(
        {"device": {"id": "tok", "platform": "ios", "last_used": 1359389415, "attributes": {"a": "1"}}}
    )
    assert message == UpsertDevice(
        received_at=NOW,
        person=PersonRef(user_id="u1"),
        token="tok",
        platform="ios",
        last_used=from_unix(1359389415),
        attributes={"a": "1"},
    )


def test_extra_device_keys_become_device_attributes() -> None:
    message = _device(
        {"device": {"id": "tok", "platform": "android", "app_version": "1.2", "attributes": {"a": "1"}}}
    )
    assert message.attributes == {"app_version": "1.2", "a": "1"}
    assert message.last_used is None


@pytest.mark.parametrize("body", [{}, {"device": None}, {"device": "tok"}, {"device": ["tok"]}])
def test_device_is_required(body: dict[str, Any]) -> None:
    _refused(lambda: _device(body), message="device is required and must be an object", field="device")


@pytest.mark.parametrize("token", [None, "", "   ", 5, ["tok"]])
def test_device_id_cannot_be_blank(token: object) -> None:
    _refused(
        lambda: _device({"device": {"id": token, "platform": "ios"}}),
        message="device id cannot be blank",
        field="device.id",
    )


@pytest.mark.parametrize("platform", [None, "", "windows", "IOS", 1, ["ios"], {"ios": 1}])
def test_device_platform_must_be_ios_or_android(platform: object) -> None:
    _refused(
        lambda: _device({"device": {"id": "tok", "platform": platform}}),
        message="device platform must be one of: ios, android",
        field="device.platform",
    )


@pytest.mark.parametrize("attributes", ["a", ["a"], 1])
def test_device_attributes_must_be_a_hash(attributes: object) -> None:
    _refused(
        lambda: _device({"device": {"id": "tok", "platform": "ios", "attributes": attributes}}),
        message="device attributes must be a hash",
        field="device.attributes",
    )


def test_device_last_used_must_be_unix_seconds() -> None:
    _refused(
        lambda: _device({"device": {"id": "tok", "platform": "ios", "last_used": "yesterday"}}),
        message="device.last_used must be a unix timestamp in seconds",
        field="device.last_used",
    )


def test_device_delete_needs_a_token() -> None:
    _refused(
        lambda: track_api.delete_device("u1", " ", received_at=NOW, limits=LIMITS),
        message="device id cannot be blank",
        field="device_id",
    )


def test_device_delete_token_with_a_nul_character_is_refused() -> None:
    _refused(
        lambda: track_api.delete_device("u1", "t\x00k", received_at=NOW, limits=LIMITS),
        message="device id cannot contain null characters (\\u0000)",
        field="device_id",
    )


# Merges


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ({"id": "a"}, PersonRef(id="a")),
        ({"email": "a@x.com"}, PersonRef(email="a@x.com")),
        ({"cio_id": "c1"}, PersonRef(cio_id="c1")),
    ],
)
def test_merge_side_names_a_person_by_one_identifier(side: dict[str, str], expected: PersonRef) -> None:
    message = _merge({"primary": side, "secondary": {"id": "b"}})
    assert message.primary == expected
    assert message.secondary == PersonRef(id="b")


@pytest.mark.parametrize(
    "side",
    [
        {},
        {"id": "a", "email": "a@x.com"},
        {"id": "a", "cio_id": "c"},
        {"name": "a"},
        {"id": "a", "name": "b"},
        {"id": ""},
        {"id": None},
    ],
)
@pytest.mark.parametrize("name", ["primary", "secondary"])
def test_merge_side_needs_exactly_one_of_id_email_cio_id(side: dict[str, Any], name: str) -> None:
    body = {"primary": {"id": "p"}, "secondary": {"id": "s"}} | {name: side}
    _refused(lambda: _merge(body), message=f"{name} must have exactly one of id, email or cio_id", field=name)


@pytest.mark.parametrize("side", [None, "a", ["a"]])
@pytest.mark.parametrize("name", ["primary", "secondary"])
def test_merge_side_must_be_an_object(side: object, name: str) -> None:
    body = {"primary": {"id": "p"}, "secondary": {"id": "s"}} | {name: side}
    _refused(lambda: _merge(body), message=f"{name} is required and must be an object", field=name)


def test_merge_without_secondary_is_refused() -> None:
    _refused(
        lambda: _merge({"primary": {"id": "p"}}),
        message="secondary is required and must be an object",
        field="secondary",
    )


@pytest.mark.parametrize("value", ["a" * 151, True, 1.5, ["a"]])
def test_merge_identifier_must_be_a_short_string(value: object) -> None:
    _refused(
        lambda: _merge({"primary": {"email": value}, "secondary": {"id": "s"}}),
        message="primary email must be a string of at most 150 characters",
        field="primary.email",
    )
