"""A large workspace for the segments bench, written straight into the tables.

People, events and devices are generated from a seed, relative to a reference instant, and written
with the fastest path each database has: on SQLite, `executemany` of plain tuples on the raw
sqlite3 connection (with `synchronous=OFF` while loading); on PostgreSQL, `COPY ... FROM STDIN`.
Neither goes through the ingest path or the processor: the bench measures segments over stored
data, not how the data arrived. Column names come from `db/schema.py`, and values are stored as
SQLAlchemy stores them (JSON text, UTC times as `YYYY-MM-DD HH:MM:SS.ffffff` on SQLite), so the
application reads the rows back as its own.

Rows are written in cio_id order, so every index of `people` and `events` grows at its end.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from _harness import note
from sqlalchemy import Table, text

from tidings.db import Database
from tidings.db.schema import devices, events, people

PLANS = (("free", 50), ("starter", 25), ("pro", 20), ("enterprise", 5))
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "BR", "IN", "JP", "AU", "MX")
EVENT_NAMES = (("Product Viewed", 40), ("Product Added", 20), ("Checkout Started", 10), ("Order Completed", 8), ("Signed In", 22))
PAGES = ("Home", "Pricing", "Docs", "Blog", "Checkout", "Account")
CATEGORIES = ("shoes", "shirts", "books", "games", "garden", "kitchen")
PAGE_SHARE = 0.2
DEVICE_SHARE = 0.3
LOGGED_IN_SHARE = 0.8
HISTORY_DAYS = 365
_ROWS_PER_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class Population:
    workspace_id: int
    people: int
    events: int
    now: datetime


def cio_id(i: int) -> str:
    """The bench person `i`; 16 hex digits like tidings' own, in `i` order."""
    return f"6a000000{i:08x}"


def user_id(i: int) -> str:
    """The `id` of person `i`, as the Pipelines bench names its users."""
    return f"user-{i:06d}"


def load(db: Database, population: Population, *, seed: int) -> None:
    """Write the people, their events and devices; PostgreSQL tables are analyzed afterwards."""
    counts = _event_counts(population, seed=seed)
    writer = _sqlite_rows if db.is_sqlite else _copy_rows
    started = time.monotonic()
    writer(db, people, _people(population, seed=seed))
    writer(db, devices, _devices(population, seed=seed))
    writer(db, events, _events(population, counts, seed=seed))
    if not db.is_sqlite:
        # A real deployment's autovacuum would have statistics by now; SQLite deployments never ANALYZE.
        with db.transaction() as conn:
            conn.execute(text("ANALYZE"))
    note(f"loaded {population.people} people and {population.events} events in {time.monotonic() - started:.0f} s")


def _event_counts(population: Population, *, seed: int) -> list[int]:
    """Events per person: 0 to twice the mean, adjusted so the total is exact."""
    rng = random.Random(seed)
    mean = population.events / population.people
    counts = [rng.randint(0, round(2 * mean)) for _ in range(population.people)]
    difference = population.events - sum(counts)
    while difference:
        i = rng.randrange(population.people)
        step = 1 if difference > 0 else -1
        if counts[i] + step >= 0:
            counts[i] += step
            difference -= step
    return counts


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _people(population: Population, *, seed: int) -> Iterator[tuple]:
    rng = random.Random(seed + 1)
    now_unix = int(population.now.timestamp())
    for i in range(population.people):
        created = now_unix - rng.randrange(730 * 86400)
        attributes = {
            "plan": _weighted(rng, PLANS),
            "logins": rng.randrange(1000),
            "country": rng.choice(COUNTRIES),
            "created_at": created,
            "vip": rng.random() < 0.05,
        }
        if rng.random() < LOGGED_IN_SHARE:
            attributes["last_login"] = max(created, now_unix - rng.randrange(90 * 86400))
        stamps = {name: created for name in attributes}
        email = f"person{i}@example.com"
        at = datetime.fromtimestamp(created, UTC)
        yield (
            population.workspace_id, cio_id(i), user_id(i), email, email,
            json.dumps(attributes), json.dumps(stamps), at, at,
        )


_PEOPLE_COLUMNS = ("workspace_id", "cio_id", "id", "email", "email_key", "attributes", "attribute_timestamps", "created_at", "updated_at")


def _devices(population: Population, *, seed: int) -> Iterator[tuple]:
    rng = random.Random(seed + 2)
    for i in range(population.people):
        if rng.random() >= DEVICE_SHARE:
            continue
        used = population.now - timedelta(seconds=rng.randrange(60 * 86400))
        yield (
            population.workspace_id, cio_id(i), f"token-{i:07d}", rng.choice(("ios", "android")), used, "",
            '{"app_version":"2.4.1"}', used,
        )


_DEVICE_COLUMNS = ("workspace_id", "cio_id", "token", "platform", "last_used", "last_status", "attributes", "created_at")


def _events(population: Population, counts: list[int], *, seed: int) -> Iterator[tuple]:
    rng = random.Random(seed + 3)
    names = [n for n, _ in EVENT_NAMES]
    weights = [w for _, w in EVENT_NAMES]
    history = HISTORY_DAYS * 86400
    for i, count in enumerate(counts):
        person = cio_id(i)
        offsets = sorted(rng.random() * history for _ in range(count))
        for j, offset in enumerate(offsets):
            at = population.now - timedelta(seconds=offset)
            if rng.random() < PAGE_SHARE:
                page = rng.choice(PAGES)
                kind, name = "page", page
                data = f'{{"url":"https://www.example.com/{page.lower()}","path":"/{page.lower()}"}}'
            else:
                kind, name = "event", rng.choices(names, weights)[0]
                product = rng.randrange(5000)
                data = f'{{"product_id":"sku-{product:05d}","category":"{rng.choice(CATEGORIES)}","price":{rng.randrange(100, 50000) / 100}}}'
            yield (population.workspace_id, person, f"{person}-{j}", kind, name, data, at, at, at)


_EVENT_COLUMNS = ("workspace_id", "cio_id", "event_id", "type", "name", "data", "timestamp", "received_at", "processed_at")
COLUMNS = {people.name: _PEOPLE_COLUMNS, devices.name: _DEVICE_COLUMNS, events.name: _EVENT_COLUMNS}


def _columns(table: Table) -> tuple[str, ...]:
    names = COLUMNS[table.name]
    assert all(name in table.c for name in names), f"bench columns of {table.name} drifted from db/schema.py"
    return names


def _chunks(rows: Iterator[tuple]) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _ROWS_PER_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_rows(db: Database, table: Table, rows: Iterator[tuple]) -> None:
    names = _columns(table)
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    raw = sqlite3.connect(db.url.database, isolation_level=None)
    try:
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("BEGIN")
        for chunk in _chunks(rows):
            raw.executemany(statement, [tuple(_sqlite_text(v) for v in row) for row in chunk])
        raw.execute("COMMIT")
    finally:
        raw.close()


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # generated text holds no tab, newline or backslash


def _copy_rows(db: Database, table: Table, rows: Iterator[tuple]) -> None:
    names = _columns(table)
    with db.transaction() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for chunk in _chunks(rows):
                copy.write("".join("\t".join(_copy_text(v) for v in row) + "\n" for row in chunk))

