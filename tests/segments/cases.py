"""Named cases for every operator and condition kind: a condition, a person, the answer.

test_evaluate.py checks them in Python and test_compile.py in SQL, so each case pins both
evaluators to the behaviour it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories.segments import device, event, facts, related
from tidings.segments import DeliveryFact, PersonFacts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW_UNIX = int(NOW.timestamp())
DAY = 86400


@dataclass(frozen=True)
class Case:
    name: str
    document: dict[str, Any]
    person: PersonFacts
    expected: bool


def attr(field: str, operator: str, value: Any = None, **rest: Any) -> dict[str, Any]:
    document = {"type": "attribute", "field": field, "operator": operator, **rest}
    if value is not None:
        document["value"] = value
    return document


def with_attributes(**attributes: Any) -> PersonFacts:
    return facts(attributes=attributes)


def _attribute_cases() -> list[Case]:
    a = with_attributes
    table: list[tuple[str, dict[str, Any], PersonFacts, bool]] = [
        ("exists", attr("plan", "exists"), a(plan="pro"), True),
        ("exists absent", attr("plan", "exists"), a(), False),
        ("exists nested null", attr("a.b", "exists"), a(a={"b": None}), False),
        ("exists nested empty string", attr("a.b", "exists"), a(a={"b": ""}), False),
        ("exists object", attr("a", "exists"), a(a={}), True),
        ("does_not_exist absent", attr("plan", "does_not_exist"), a(), True),
        ("does_not_exist present", attr("plan", "does_not_exist"), a(plan=0), False),
        ("eq folds case", attr("plan", "eq", "PRO"), a(plan="Pro"), True),
        ("eq is whole value", attr("plan", "eq", "pro"), a(plan="pro plan"), False),
        ("eq number equals float", attr("n", "eq", 1), a(n=1.0), True),
        ("eq number equals numeric string", attr("n", "eq", "1.50"), a(n="1.5"), True),
        ("eq number against text", attr("n", "eq", 1), a(n="one"), False),
        ("eq boolean as text", attr("flag", "eq", "TRUE"), a(flag=True), True),
        ("eq text true as boolean", attr("flag", "eq", True), a(flag="True"), True),
        ("eq exponent text is text", attr("n", "eq", 1000), a(n="1e3"), False),
        ("eq patterns are literal", attr("plan", "eq", "p*"), a(plan="pro"), False),
        ("eq on array without [] is false", attr("tags", "eq", "toronto"), a(tags=["Toronto"]), False),
        ("eq on array element", attr("tags[]", "eq", "toronto"), a(tags=["Paris", "Toronto"]), True),
        ("eq on array element is exact", attr("tags[]", "eq", "toro"), a(tags=["Toronto"]), False),
        ("eq [] looks inside elements", attr("items[]", "eq", "jacket"), a(items=[{"type": "jacket"}]), True),
        ("eq index", attr("tags[1]", "eq", "b"), a(tags=["a", "b"]), True),
        ("eq index past end", attr("tags[2]", "eq", "b"), a(tags=["a", "b"]), False),
        ("eq index on object", attr("a[0]", "eq", "x"), a(a={"0": "x"}), False),
        ("eq index on scalar", attr("a[0]", "eq", "x"), a(a="x"), False),
        ("eq [].key", attr("items[].type", "eq", "hat"), a(items=[{"type": "shoe"}, {"type": "hat"}]), True),
        ("eq ?. on array", attr("a?.b", "eq", 2), a(a=[{"b": 1}, {"b": 2}]), True),
        ("eq ?. on object", attr("a?.b", "eq", 2), a(a={"b": 2}), True),
        ("eq ?. on scalar", attr("a?.b", "eq", 2), a(a=2), False),
        ("eq non-ascii folds only ascii", attr("name", "eq", "émile"), a(name="Émile"), False),
        ("eq email column", attr("email", "eq", "ANN@example.com"), facts(email="ann@Example.com"), True),
        ("eq id column", attr("id", "eq", 42), facts(id="42"), True),
        ("neq absent matches", attr("plan", "neq", "pro"), a(), True),
        ("neq equal", attr("plan", "neq", "pro"), a(plan="PRO"), False),
        ("neq any element", attr("tags[]", "neq", "a"), a(tags=["a", "b"]), False),
        ("contains substring", attr("email", "contains", "EXAMPLE"), facts(email="ann@example.com"), True),
        ("contains wildcard", attr("event", "contains", "s*n"), a(event="lesson"), True),
        ("contains trailing wildcard is unanchored", attr("word", "contains", "si*"), a(word="reside"), True),
        ("contains and", attr("email", "contains", "person+gmail"), a(email2="x"), False),
        ("contains and both", attr("mail", "contains", "person+gmail"), a(mail="gmail.person@x"), True),
        ("contains or", attr("word", "contains", "hide|seek"), a(word="seeker"), True),
        ("contains escaped plus", attr("phone", "contains", "\\+1"), a(phone="+1 555"), True),
        ("contains escaped plus needs plus", attr("phone", "contains", "\\+1"), a(phone="1 555"), False),
        ("contains percent is literal", attr("rate", "contains", "%"), a(rate="5 percent"), False),
        ("contains underscore is literal", attr("key", "contains", "a_c"), a(key="abc"), False),
        ("contains number text", attr("phone", "contains", 555), a(phone=15551234), True),
        ("contains whole float as integer", attr("n", "contains", "2.0"), a(n=2.0), False),
        ("contains fraction", attr("n", "contains", ".25"), a(n=1.25), True),
        ("contains in stringified array", attr("stores", "contains", "toro"), a(stores=["Paris", "Toronto"]), True),
        ("contains ignores keys", attr("a", "contains", "city"), a(a={"city": "x"}), False),
        ("contains deep value", attr("a", "contains", "lyon"), a(a={"b": [{"c": "Lyon"}]}), True),
        ("does_not_contain absent", attr("plan", "does_not_contain", "x"), a(), True),
        ("does_not_contain present", attr("plan", "does_not_contain", "R"), a(plan="pro"), False),
        ("gt number", attr("n", "gt", 5), a(n=6), True),
        ("gt numeric string", attr("n", "gt", 5), a(n="10"), True),
        ("gt text", attr("n", "gt", 5), a(n="ten"), False),
        ("gt boolean", attr("n", "gt", 0), a(n=True), False),
        ("gt equal", attr("n", "gt", 5), a(n=5), False),
        ("gte equal", attr("n", "gte", 5), a(n="5.0"), True),
        ("lt negative", attr("n", "lt", -2), a(n="-2.5"), True),
        ("lte", attr("n", "lte", 1.5), a(n=1.5), True),
        ("is_timestamp int", attr("ts", "is_timestamp"), a(ts=1700000000), True),
        ("is_timestamp digit string", attr("ts", "is_timestamp"), a(ts="1700000000"), True),
        ("is_timestamp float", attr("ts", "is_timestamp"), a(ts=1700000000.9), True),
        ("is_timestamp milliseconds", attr("ts", "is_timestamp"), a(ts=1700000000000), False),
        ("is_timestamp small", attr("ts", "is_timestamp"), a(ts=100000000), False),
        ("is_timestamp iso", attr("ts", "is_timestamp"), a(ts="2024-01-01T00:00:00Z"), False),
        ("is_timestamp fraction string", attr("ts", "is_timestamp"), a(ts="1700000000.5"), False),
        ("is_not_timestamp iso", attr("ts", "is_not_timestamp"), a(ts="2024-01-01"), True),
        ("is_not_timestamp absent", attr("ts", "is_not_timestamp"), a(), True),
        ("before 7 days ago", attr("ts", "ts_before_relative", 7, direction="ago"), a(ts=NOW_UNIX - 8 * DAY), True),
        ("before 7 days ago boundary is strict", attr("ts", "ts_before_relative", 7, direction="ago"), a(ts=NOW_UNIX - 7 * DAY), False),
        ("after 7 days ago", attr("ts", "ts_after_relative", 7, direction="ago"), a(ts=NOW_UNIX - 6 * DAY), True),
        ("after 7 days ago boundary is strict", attr("ts", "ts_after_relative", 7, direction="ago"), a(ts=NOW_UNIX - 7 * DAY), False),
        ("before 3 days from now", attr("ts", "ts_before_relative", 3, direction="from_now"), a(ts=NOW_UNIX + 2 * DAY), True),
        ("after 3 days from now", attr("ts", "ts_after_relative", 3, direction="from_now"), a(ts=NOW_UNIX + 2 * DAY), False),
        ("after 36 hours ago", attr("ts", "ts_after_relative", 36, direction="ago", unit="hours"), a(ts=NOW_UNIX - DAY), True),
        ("before 1 week ago", attr("ts", "ts_before_relative", 1, direction="ago", unit="weeks"), a(ts=NOW_UNIX - 6 * DAY), False),
        ("relative needs a timestamp", attr("ts", "ts_before_relative", 7, direction="ago"), a(ts="2020-01-01"), False),
        ("before date", attr("ts", "ts_before_date", "2024-01-01"), a(ts=1700000000), True),
        ("after date unix", attr("ts", "ts_after_date", 1700000000), a(ts="1700000001"), True),
        ("after date equal is strict", attr("ts", "ts_after_date", 1700000000), a(ts=1700000000), False),
        ("between inclusive start", attr("ts", "ts_between", 1700000000, value2=1700000100), a(ts=1700000000), True),
        ("between inclusive end", attr("ts", "ts_between", 1700000000, value2="2023-11-14T22:15:00Z"), a(ts=1700000100), True),
        ("between outside", attr("ts", "ts_between", 1700000000, value2=1700000100), a(ts=1700000101), False),
        ("created in customerio", attr("_created_in_customerio_at", "ts_after_relative", 3, direction="ago"),
         facts(created_at=NOW - timedelta(days=1)), True),
    ]
    return [Case(f"attribute: {name}", document, person, expected) for name, document, person, expected in table]


def _activity_cases() -> list[Case]:
    def performed(name: str = "purchase", **rest: Any) -> dict[str, Any]:
        return {"type": rest.pop("type", "event"), "name": name, **rest}

    old = NOW - timedelta(days=60)
    bought = event("purchase", NOW - timedelta(days=2), {"items": [{"type": "jacket"}], "price": "25"})
    bought_long_ago = event("Purchase", NOW - timedelta(days=20), {"items": [{"type": "hat"}], "price": 5})
    shopper = facts(created_at=old, events=(bought, bought_long_ago))
    newcomer = facts(created_at=NOW - timedelta(days=2))
    backdated = facts(created_at=NOW - timedelta(days=2), events=(event("signup", NOW - timedelta(days=40)),))
    table: list[tuple[str, dict[str, Any], PersonFacts, bool]] = [
        ("performed", performed(), shopper, True),
        ("name folds case", performed("PURCHASE"), shopper, True),
        ("name is whole", performed("purch"), shopper, False),
        ("name wildcard", performed("pur*"), shopper, True),
        ("name alternatives", performed("refund|purchase"), shopper, True),
        ("name plus is literal", performed("purchase+x"), shopper, False),
        ("not performed", performed("refund", performed=False), shopper, True),
        ("performed never", performed(), newcomer, False),
        ("count at least 2", performed(count={"op": "at_least", "n": 2}), shopper, True),
        ("count at least 3", performed(count={"op": "at_least", "n": 3}), shopper, False),
        ("count exactly 2", performed(count={"op": "exactly", "n": 2}), shopper, True),
        ("count at most 1", performed(count={"op": "at_most", "n": 1}), shopper, False),
        ("count at most 0 means never", performed(count={"op": "at_most", "n": 0}), newcomer, True),
        ("within 7 days", performed(window={"within_days": 7}, count={"op": "exactly", "n": 1}), shopper, True),
        ("within 1 day", performed(window={"within_days": 1}), shopper, False),
        ("between", performed(window={"between": ["2026-02-01", "2026-02-10"]}), shopper, True),
        ("since", performed(window={"since": "2026-02-25"}, count={"op": "exactly", "n": 1}), shopper, True),
        ("filter", performed(filters=[attr("items[].type", "eq", "jacket")]), shopper, True),
        ("filters on one occurrence", performed(filters=[attr("items[].type", "eq", "hat"), attr("price", "gt", 10)]), shopper, False),
        ("filter and window on one occurrence", performed(window={"within_days": 7}, filters=[attr("items[].type", "eq", "hat")]), shopper, False),
        ("filter counts", performed(filters=[attr("price", "gte", 5)], count={"op": "exactly", "n": 2}), shopper, True),
        ("not performed in window", performed(performed=False, window={"within_days": 7}, filters=[attr("items[].type", "eq", "hat")]), shopper, True),
        ("not performed in window, profile too young", performed("refund", performed=False, window={"within_days": 7}), newcomer, False),
        ("not performed in window, aged by a back-dated event", performed("refund", performed=False, window={"within_days": 7}), backdated, True),
        ("page", performed("https://x.com/pricing*", type="page"), facts(events=(event("https://x.com/pricing?a=1", NOW, type="page"),)), True),
        ("page is not an event", performed("purchase", type="page"), shopper, False),
        ("screen", performed("home", type="screen"), facts(events=(event("Home", NOW, type="screen"),)), True),
    ]
    return [Case(f"activity: {name}", document, person, expected) for name, document, person, expected in table]


def _other_cases() -> list[Case]:
    phone = facts(devices=(device("t1", platform="ios", last_used=NOW - timedelta(days=40), model="X"), device("t2", platform="android", last_used=NOW)))
    member = facts(relationships=(
        related("acme", attributes={"plan": "premium"}, relationship={"role": "member"}),
        related("globex", attributes={"plan": "free"}, relationship={"role": "admin"}),
        related("course", type_id=2, attributes={"subject": "calculus"}),
    ))
    at = NOW_UNIX - DAY
    reader = facts(deliveries=(
        DeliveryFact("email", 1, {"sent": at, "delivered": at, "opened": at}),
        DeliveryFact("email", 2, {"sent": at, "clicked": at}, ("https://x.com/promo?a=1", "https://shop.test/cart")),
        DeliveryFact("sms", 1, {"sent": at, "failed": at}),
    ))
    email = {"type": "message", "channel": "email"}
    table: list[tuple[str, dict[str, Any], PersonFacts, bool]] = [
        ("device exists", {"type": "device"}, phone, True),
        ("device none", {"type": "device"}, facts(), False),
        ("device absent", {"type": "device", "exists": False}, facts(), True),
        ("device platform", {"type": "device", "filters": [attr("platform", "eq", "IOS")]}, phone, True),
        ("device same device", {"type": "device", "filters": [attr("platform", "eq", "ios"), attr("last_used", "ts_after_relative", 7, direction="ago")]}, phone, False),
        ("device last used", {"type": "device", "filters": [attr("last_used", "ts_after_relative", 7, direction="ago")]}, phone, True),
        ("device attribute", {"type": "device", "filters": [attr("model", "eq", "x")]}, phone, True),
        ("device status empty", {"type": "device", "filters": [attr("last_status", "exists")]}, phone, False),
        ("relationship exists", {"type": "relationship", "object_type_id": 1}, member, True),
        ("relationship other type", {"type": "relationship", "object_type_id": 3}, member, False),
        ("relationship object filter", {"type": "relationship", "object_type_id": 1, "object_filters": [attr("plan", "eq", "premium")]}, member, True),
        ("relationship same relationship", {"type": "relationship", "object_type_id": 1, "object_filters": [attr("plan", "eq", "premium")],
                                            "relationship_filters": [attr("role", "eq", "admin")]}, member, False),
        ("relationship object id", {"type": "relationship", "object_type_id": 1, "object_filters": [attr("object_id", "eq", "GLOBEX")]}, member, True),
        ("relationship type filter", {"type": "relationship", "object_type_id": 1, "object_filters": [attr("subject", "exists")]}, member, False),
        ("relationship absent", {"type": "relationship", "object_type_id": 2, "exists": False}, member, False),
        ("relationship absent of a type", {"type": "relationship", "object_type_id": 3, "exists": False}, member, True),
        ("relationship attribute", {"type": "relationship", "object_type_id": 1, "relationship_filters": [attr("role", "eq", "ADMIN")]}, member, True),
        ("device absent with filters", {"type": "device", "exists": False, "filters": [attr("platform", "eq", "windows")]}, phone, True),
        ("segment in", {"type": "segment", "segment_id": 3}, facts(segment_ids=frozenset({3})), True),
        ("segment not in", {"type": "segment", "segment_id": 3, "in": False}, facts(segment_ids=frozenset({4})), True),
        ("message sent", {"type": "message", "channel": "email", "metric": "sent"}, facts(), False),
        ("message never sent", {"type": "message", "channel": "email", "metric": "sent", "negated": True}, facts(), True),
        ("message at most 0", {"type": "message", "channel": "sms", "metric": "delivered", "count": {"op": "at_most", "n": 0}}, facts(), True),
        ("message opened", {**email, "metric": "opened"}, reader, True),
        ("message never opened, opened", {**email, "metric": "opened", "negated": True}, reader, False),
        ("message of a transactional message", {**email, "metric": "opened", "message": {"transactional_message_id": 2}}, reader, False),
        ("message of its transactional message", {**email, "metric": "clicked", "message": {"transactional_message_id": 2}}, reader, True),
        ("message of a campaign counts no delivery yet", {**email, "metric": "sent", "message": {"campaign_id": 3}}, reader, False),
        ("message count at least 2", {**email, "metric": "sent", "count": {"op": "at_least", "n": 2}}, reader, True),
        ("message count exactly 3", {**email, "metric": "sent", "count": {"op": "exactly", "n": 3}}, reader, False),
        ("message other channel", {"type": "message", "channel": "push", "metric": "sent"}, reader, False),
        ("message sms failed", {"type": "message", "channel": "sms", "metric": "failed"}, reader, True),
        ("message human opens are every open", {**email, "metric": "opened", "human_only": True}, reader, True),
        ("message link contains", {**email, "metric": "clicked", "link": {"op": "contains", "url": "PROMO"}}, reader, True),
        ("message link matches is whole", {**email, "metric": "clicked", "link": {"op": "matches", "url": "https://x.com/promo"}}, reader, False),
        ("message link matches wildcard", {**email, "metric": "clicked", "link": {"op": "matches", "url": "https://x.com/promo*"}}, reader, True),
        ("message link needs the click", {**email, "metric": "opened", "link": {"op": "contains", "url": "cart"}}, reader, False),
        ("and", {"type": "and", "children": [attr("a", "exists"), attr("b", "exists")]}, with_attributes(a=1), False),
        ("or", {"type": "or", "children": [attr("a", "exists"), attr("b", "exists")]}, with_attributes(a=1), True),
        ("not", {"type": "not", "child": attr("a", "exists")}, with_attributes(a=1), False),
        ("not of a negative", {"type": "not", "child": attr("a", "neq", 1)}, with_attributes(), False),
    ]
    return [Case(name, document, person, expected) for name, document, person, expected in table]


CASES = _attribute_cases() + _activity_cases() + _other_cases()
