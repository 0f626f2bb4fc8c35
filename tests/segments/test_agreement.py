"""The two evaluators agree: random conditions over random people, stored in the real tables,
give the same answer in Python (evaluate) and in SQL (compile_condition), on whichever database
the suite runs. Also: next_change is never late.

Data and conditions draw from small vocabularies (a few keys, names and values) so that
conditions actually hit the data, including its edges: numbers as strings, case, JSON nulls,
nested arrays, timestamps on window boundaries, young profiles.

Runs are reproducible (derandomize). TIDINGS_SEGMENT_EXAMPLES=2000 runs more examples, and
TIDINGS_SEGMENT_SEED=<n> explores with a random seed instead.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.factories.segments import memberships, new_workspace_id, store_people
from tidings.db import Database
from tidings.people import Device, EventType, Object, PersonRelationship
from tidings.segments import DeliveryFact, EventFact, PersonFacts, evaluate, matching_cio_ids, next_change, parse_condition

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW_UNIX = int(NOW.timestamp())
DAY = 86400
EXAMPLES = int(os.environ.get("TIDINGS_SEGMENT_EXAMPLES", "200"))
SEED = os.environ.get("TIDINGS_SEGMENT_SEED")
CONDITIONS_PER_EXAMPLE = 4
MIN_CASES = 2000

KEYS = ["plan", "n", "tags", "ts", "nested", "a", "b"]
TEXTS = [
    "pro", "PRO", "Pro plan", "free", "Toronto", "toro", "", " ", "1", "1.0", "01", "-2.5", "2.50", "1e3",
    "1700000000", "1699999999", "170000000000", "2024-01-01", "É", "é", "a+b", "x*y", "100%", "a_b",
    "true", "TRUE", "False", "sink", "lesson", "reside", "hide", "a\\b", "null",
]
NUMBERS = [0, 1, -1, 2, 5, 7, 100, 1.0, 1.5, -2.5, 0.25, 2.5, 0.1, 12.75, 1e-05, 1700000000, 1700000000.75,
           NOW_UNIX, NOW_UNIX - 7 * DAY, NOW_UNIX - 30 * DAY, NOW_UNIX + 3 * DAY, 100000000, 99999999999]
EVENT_NAMES = ["purchase", "Purchase", "purchase_refund", "sink", "lesson", "https://x.com/a?b=1", "home", "a+b"]
PATHS = ["plan", "n", "tags", "tags[]", "tags[0]", "ts", "nested", "nested.a", "nested?.a", "nested[].a",
         "nested.a[]", "a.b", "a?.b[]", "b", "missing", "missing[]"]
PROFILE_PATHS = [*PATHS, "email", "id", "cio_id", "_created_in_customerio_at"]
DEVICE_FIELDS = ["platform", "last_used", "last_status", "token", "a", "b", "missing"]
PATTERNS = ["o", "toro", "s*n", "si*", "pro+free", "pro|free", "1", "\\+", "x\\*", "%", "_", "é", "*", "a+b",
            "2.5", "true", "7", "e3"]

METRICS = ["sent", "delivered", "opened", "clicked", "bounced", "failed"]
URLS = ["https://x.com/a?b=1", "https://example.com/promo", "HTTPS://X.COM/A", "http://shop.test/cart+1"]
LINKS = ["x.com/a", "https://x.com/a*", "*promo*", "HTTPS://X.COM/A?B=1", "cart\\+1", "shop|promo"]

texts = st.sampled_from(TEXTS) | st.text(alphabet="abAB01.-_ é", max_size=4)
numbers = st.sampled_from(NUMBERS) | st.integers(-3, 3)

# People are built from a Random that Hypothesis seeds: drawing thousands of values per example
# through strategies overran Hypothesis's buffer and made generation, not the databases, the slow
# part. Conditions stay strategies, so a failure shrinks to a small condition; the message shows
# the person the evaluators disagree on.
_HALF_DAYS = [NOW - timedelta(hours=12 * k) for k in range(-4, 71)]
_MOMENTS = [*_HALF_DAYS, NOW - timedelta(days=7, microseconds=1), NOW - timedelta(days=7, microseconds=-1)]


def _scalar(rng: random.Random) -> Any:
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(TEXTS) if rng.random() < 0.8 else "".join(rng.choices("abAB01.-_ é", k=rng.randint(0, 4)))
    if kind < 0.85:
        return rng.choice(NUMBERS) if rng.random() < 0.8 else rng.randint(-3, 3)
    return rng.choice([True, False, None])


def _json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth >= 2 or kind < 0.6:
        return _scalar(rng)
    if kind < 0.8:
        return [_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return _document(rng, depth + 1)


def _document(rng: random.Random, depth: int = 0, *, size: int = 3, keys: list[str] = KEYS) -> dict[str, Any]:
    return {rng.choice(keys): _json(rng, depth) for _ in range(rng.randint(0, size))}


def _person(rng: random.Random, i: int, catalog: dict[tuple[int, str], dict[str, Any]]) -> PersonFacts:
    # Empty values are never stored at the top level of a profile (Customer.io drops them).
    attributes = {k: v for k, v in _document(rng, size=5).items() if v is not None and v != ""}
    events = tuple(
        EventFact(rng.choice(list(EventType)), rng.choice(EVENT_NAMES), _document(rng), rng.choice(_MOMENTS))
        for _ in range(rng.randint(0, 4))
    )
    devices = tuple(
        Device(
            token,
            rng.choice(["ios", "android", "IOS"]),
            rng.choice(_MOMENTS),
            rng.choice(["", "sent", "bounced"]),
            {k: _scalar(rng) for k in rng.sample(["a", "b"], rng.randint(0, 2))},
        )
        for token in rng.sample(["t1", "t2", "T1"], rng.randint(0, 2))
    )
    links = tuple(
        PersonRelationship(Object(f"obj-{t}-{o}", t, o, catalog[(t, o)], NOW, NOW), _document(rng, size=2), NOW)
        for t, o in rng.sample(sorted(catalog), rng.randint(0, 3))
    )
    sent = tuple(
        DeliveryFact(
            rng.choice(["email", "sms", "push"]),
            rng.choice([None, 1, 2]),
            {m: NOW_UNIX - rng.randrange(30 * DAY) for m in rng.sample(METRICS, rng.randint(0, 3))},
            tuple(rng.sample(URLS, rng.randint(0, 2))),
        )
        for _ in range(rng.randint(0, 3))
    )
    return PersonFacts(
        cio_id=f"p{i:02d}",
        id=rng.choice([None, f"u{i}", f"U{i}", str(40 + i)]),
        email=rng.choice([None, "ann@example.com", "Bob@Example.com"]),
        attributes=attributes,
        created_at=rng.choice([NOW, NOW - timedelta(days=1), NOW - timedelta(days=7), NOW - timedelta(days=40)]),
        events=events,
        first_event_at=min((e.timestamp for e in events), default=None),
        devices=devices,
        relationships=links,
        segment_ids=frozenset(rng.sample([1, 2, 3], rng.randint(0, 2))),
        deliveries=sent,
    )


def make_people(rng: random.Random, *, count: int) -> list[PersonFacts]:
    catalog = {(t, o): _document(rng) for t in (1, 2) for o in ("o1", "o2", "o3")}
    return [_person(rng, i, catalog) for i in range(count)]


def people(*, min_size: int = 10, max_size: int = 12) -> st.SearchStrategy[list[PersonFacts]]:
    return st.builds(
        lambda rng, count: make_people(rng, count=count), st.randoms(use_true_random=False), st.integers(min_size, max_size)
    )


dates = st.sampled_from([NOW_UNIX - 7 * DAY, NOW_UNIX, 1700000000, "2026-02-22T12:00:00Z", "2026-03-01", "2023-11-14"])


@st.composite
def attribute_documents(draw: st.DrawFn, fields: list[str]) -> dict[str, Any]:
    operator = draw(st.sampled_from([
        "exists", "does_not_exist", "eq", "neq", "contains", "does_not_contain", "gt", "lt", "gte", "lte",
        "is_timestamp", "is_not_timestamp", "ts_before_relative", "ts_after_relative", "ts_before_date",
        "ts_after_date", "ts_between",
    ]))
    document: dict[str, Any] = {"type": "attribute", "field": draw(st.sampled_from(fields)), "operator": operator}
    if operator in ("eq", "neq"):
        document["value"] = draw((texts | numbers | st.booleans()).filter(lambda v: v != ""))
    elif operator in ("contains", "does_not_contain"):
        document["value"] = draw(st.sampled_from(PATTERNS) | st.integers(0, 9))
    elif operator in ("gt", "lt", "gte", "lte"):
        document["value"] = draw(numbers | st.sampled_from(["1.0", "2", "-2.5"]))
    elif operator in ("ts_before_relative", "ts_after_relative"):
        document["value"] = draw(st.sampled_from([0, 1, 3, 7, 30]))
        document["direction"] = draw(st.sampled_from(["ago", "from_now"]))
        unit = draw(st.sampled_from([None, "hours", "days", "weeks"]))
        if unit:
            document["unit"] = unit
    elif operator in ("ts_before_date", "ts_after_date"):
        document["value"] = draw(dates)
    elif operator == "ts_between":
        first, second = sorted([draw(dates), draw(dates)], key=_unix)
        document["value"], document["value2"] = first, second
    return document


def _unix(value: Any) -> float:
    if isinstance(value, int):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC).timestamp()


@st.composite
def activity_documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": draw(st.sampled_from(["event", "page", "screen"])),
        "name": draw(st.sampled_from(["purchase", "PURCHASE", "pur*", "s*n|home", "si*", "https://x.com/*", "a+b", "x"])),
        "performed": draw(st.booleans()),
    }
    if draw(st.booleans()):
        document["count"] = {"op": draw(st.sampled_from(["at_least", "at_most", "exactly"])), "n": draw(st.integers(0, 3))}
    window = draw(st.sampled_from([None, "within", "between", "since"]))
    if window == "within":
        document["window"] = {"within_days": draw(st.sampled_from([1, 3, 7, 30]))}
    elif window == "between":
        document["window"] = {"between": ["2026-02-01", "2026-02-22T12:00:00Z"]}
    elif window == "since":
        document["window"] = {"since": draw(st.sampled_from(["2026-02-22T12:00:00Z", NOW_UNIX - 3 * DAY]))}
    document["filters"] = draw(st.lists(attribute_documents(PATHS), max_size=2))
    return document


leaves = st.one_of(
    attribute_documents(PROFILE_PATHS),
    attribute_documents(PROFILE_PATHS),
    activity_documents(),
    st.builds(
        lambda exists, filters: {"type": "device", "exists": exists, "filters": filters},
        st.booleans(),
        st.lists(attribute_documents(DEVICE_FIELDS), max_size=2),
    ),
    st.builds(
        lambda type_id, exists, objects, links: {
            "type": "relationship", "object_type_id": type_id, "exists": exists,
            "object_filters": objects, "relationship_filters": links,
        },
        st.sampled_from([1, 2]),
        st.booleans(),
        st.lists(attribute_documents([*PATHS, "object_id"]), max_size=2),
        st.lists(attribute_documents(PATHS), max_size=1),
    ),
    st.builds(lambda i, member: {"type": "segment", "segment_id": i, "in": member}, st.sampled_from([1, 2, 3]), st.booleans()),
    st.builds(
        lambda channel, metric, message, negated, count, link: {
            "type": "message", "channel": channel, "metric": metric, "message": message, "negated": negated, **count, **link,
        },
        st.sampled_from(["email", "sms", "push"]),
        st.sampled_from(METRICS),
        st.sampled_from(["any", {"transactional_message_id": 1}, {"campaign_id": 3}, {}]),
        st.booleans(),
        st.sampled_from([{}, {"count": {"op": "at_most", "n": 0}}, {"count": {"op": "at_least", "n": 2}}]),
        st.sampled_from([{}] * 3 + [{"link": {"op": op, "url": url}} for op in ("contains", "matches") for url in LINKS]),
    ),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.builds(lambda c: {"type": "not", "child": c}, inner)
    | st.builds(lambda kind, children: {"type": kind, "children": children}, st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=4,
)




def test_python_and_sql_agree(database: Database) -> None:
    cases = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(population=people(), documents=st.lists(conditions, min_size=CONDITIONS_PER_EXAMPLE, max_size=CONDITIONS_PER_EXAMPLE))
    def check(population: list[PersonFacts], documents: list[dict[str, Any]]) -> None:
        nonlocal cases
        with database.connect() as conn:
            transaction = conn.begin()
            try:
                workspace_id = new_workspace_id(conn)
                store_people(conn, workspace_id=workspace_id, people_facts=population)
                members = memberships(population)
                for document in documents:
                    condition = parse_condition(document)
                    in_sql = matching_cio_ids(
                        conn, workspace_id=workspace_id, condition=condition, now=NOW, memberships=members
                    )
                    in_python = [p.cio_id for p in population if evaluate(condition, p, now=NOW)]
                    if in_sql != in_python:
                        differing = next(p for p in population if (p.cio_id in in_sql) != (p.cio_id in in_python))
                        raise AssertionError(
                            f"SQL {in_sql} != Python {in_python}\ncondition: {document}\nfirst differing: {differing!r}"
                        )
                    cases += len(population)
            finally:
                transaction.rollback()

    if SEED is not None:
        check = seed(int(SEED))(check)
    check()
    assert cases >= min(MIN_CASES, EXAMPLES * CONDITIONS_PER_EXAMPLE * 10), cases


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(population=people(min_size=1, max_size=3), document=conditions)
def test_next_change_is_never_late(population: list[PersonFacts], document: dict[str, Any]) -> None:
    """Until the instant next_change returns, the answer stays what it is now; with None, it
    stays forever (checked 1000 days on)."""
    condition = parse_condition(document)
    for person in population:
        answer = evaluate(condition, person, now=NOW)
        change = next_change(condition, person, now=NOW)
        assert change is None or change > NOW
        before = (change - timedelta(microseconds=1)) if change is not None else NOW + timedelta(days=1000)
        assert evaluate(condition, person, now=before) == answer, (document, person, change)
