"""Transactional email: the sender renders and hands 20,000 deliveries to a local SMTP sink.

Creates a scratch database (SQLite in a temporary directory, or a scratch PostgreSQL database), a
workspace and a transactional template in a layout: the layout holds the `<style>` block to
inline, the header and a footer snippet (Liquid: the unsubscribe link, the recipient's address);
the body a loop over the order's items, filters (default, capitalize, currency, date with a time
zone, escape, times, upcase, url_encode) and a preheader; 10 links to track in all. Then, in three
phases:

1. Enqueue, untimed: `tidings serve` with no SMTP server configured (deliveries stay queued)
   takes one Pipelines identify per person and one `POST /v1/send/email` per person, the real
   request path, and the bench waits until the processor has queued every delivery.
2. Send, timed: a `tidings worker --role sender` child sends them to a sink, an aiosmtpd server
   on 127.0.0.1 in a process of its own that counts what it accepts (and prints nothing). The rate
   runs from the sender's first claim (seen by polling the database) to the sink's acceptance of
   the last message: rendering, tracking, CSS inlining, composing, SMTP and the status updates.
3. Baseline, timed: a fresh sink takes the same number of copies of one email the sender
   produced, from a plain aiosmtplib client over as many connections as the sender may open:
   what the sink (and an SMTP client) alone allow on this machine, in the same run.

Prints one line per figure (STYLE rule 16): emails/s sent and the baseline's, the ratio, the
sender's peak RSS, and the CPU time per email of the sender and of the sink while sending (steadier
than the rates when other work shares the machine). Queued-to-accepted latency is not printed:
every delivery is queued before the sender starts, so it would measure only the queue's length.

    .venv/bin/python bench/send_email.py                      # SQLite, 20,000 emails
    .venv/bin/python bench/send_email.py --db postgres
    .venv/bin/python bench/send_email.py --profile profiles   # py-spy samples of the sender
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, select

from _harness import (
    DEFAULT_POSTGRES_URL,
    HOST,
    child_pids,
    cpu_seconds,
    create_workspace,
    encode_request,
    figure,
    free_port,
    host_name,
    note,
    report_failures,
    run_load,
    running_server,
    sampling_profiles,
    scratch_database,
    serve_command,
    server_peak_rss_mb,
    wait_until_applied,
    wait_until_ready,
)
from tidings.db import Database
from tidings.db.schema import deliveries

IDENTIFIES_PER_BATCH = 100
CLAIM_POLL_SECONDS = 0.005
STALL_SECONDS = 60.0
TRACK_URL = "https://track.example.com"
SENDER_ADDRESS = "shop@example.com"

LAYOUT = {
    "name": "Shop",
    "html": """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ layout.name }}</title>
<style>
body{margin:0;background:#f4f4f7;font-family:Helvetica,Arial,sans-serif}
.wrapper{width:100%;background:#f4f4f7}
.content{max-width:600px;margin:0 auto;background:#ffffff}
.header a{font-size:18px;font-weight:bold;color:#333333;text-decoration:none}
h1{font-size:22px;color:#333333}
p,td{font-size:15px;line-height:1.5;color:#51545e}
.item td{border-bottom:1px solid #eaeaec;padding:8px 0}
.odd{background:#fafafa}
.button{display:inline-block;background:#3869d4;color:#ffffff;padding:10px 18px;border-radius:3px;text-decoration:none}
.footer p{font-size:12px;color:#a8aaaf;text-align:center}
@media only screen and (max-width:600px){.content{width:100%!important}}
</style></head>
<body><table class="wrapper" role="presentation" width="100%"><tr><td>
<table class="content" role="presentation">
<tr><td class="header"><a href="https://shop.example.com/?ref=receipt">Example Shop</a></td></tr>
<tr><td>
{{ content }}
</td></tr>
<tr><td class="footer">{{ snippets.footer }}</td></tr>
</table></td></tr></table></body></html>""",
}

# The layout's footer: Liquid rendered with the recipient's data, shared by every message.
FOOTER_SNIPPET = """<p>Questions? <a href="https://shop.example.com/help?email={{ customer.email | url_encode }}">Visit the help centre</a>.</p>
<p><a class="untracked" href="{% unsubscribe_url %}">Unsubscribe</a> &middot;
&copy; {{ 'now' | date: '%Y' }} Example Inc &middot; {{ customer.email }}</p>"""

TEMPLATE_BODY = """<h1>Hi {{ customer.first_name | default: "there" | capitalize }},</h1>
<p>Thanks for your order {{ trigger.order_id }} of {{ trigger.total | currency }}, placed on
{{ trigger.placed_at | date: "%B %-d, %Y at %H:%M", customer.timezone }}.</p>
<table role="presentation" width="100%">
{% for item in trigger.items %}<tr class="item {% cycle 'odd', 'even' %}">
<td><a href="https://shop.example.com/p/{{ item.sku }}?utm_source=receipt">{{ item.name | escape }}</a></td>
<td>{{ item.qty }} &times; {{ item.price | currency }}</td>
<td align="right">{{ item.qty | times: item.price | currency }}</td></tr>
{% endfor %}</table>
<p><a class="button" href="https://shop.example.com/orders/{{ trigger.order_id }}">View your order</a></p>
{% if customer.plan == "pro" %}<p>As a Pro member, your shipping is on us.</p>
{% else %}<p>Shipping: {{ trigger.shipping | currency }}. Pro members ship for free.</p>{% endif %}
<p>You may also like:
{% for deal in trigger.deals %}<a href="https://shop.example.com/deals/{{ deal }}">{{ deal | upcase }}</a> {% endfor %}</p>"""


def template(layout_id: int) -> dict:
    """The receipt template, wrapped in the layout numbered `layout_id`."""
    return {
        "name": "Order receipt",
        "trigger_name": "receipt",
        "settings": {"layout_id": layout_id},
        "content": {
            "email": {
                "from": f"Example Shop <{SENDER_ADDRESS}>",
                "reply_to": "help@example.com",
                "subject": "Your order {{ trigger.order_id }}, {{ customer.first_name | default: 'friend' }}",
                "preheader": "{{ trigger.items | size }} items, {{ trigger.total | currency }}",
                "body": TEMPLATE_BODY,
            }
        },
    }


_PLANS = ("free", "starter", "pro", "enterprise")
_TIME_ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC")
_PRODUCTS = ("Trail shoes", "Rain jacket", "Wool socks", "Water bottle", "Headlamp", "Map <folded>", "Tent")
_DEALS = ("spring", "outlet", "bundle", "new-in")


def main() -> int:
    args = _parser().parse_args()
    host = host_name()
    backend = args.db
    emails = args.emails
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="tidings-bench-")))
        database_url = cleanup.enter_context(
            scratch_database(args.db, workdir=workdir, server_url=args.postgres_url)
        )
        env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "ERROR"}
        env.pop("TIDINGS_SMTP_HOST", None)
        credentials = create_workspace(env)
        failed = _enqueue(args, env=env, credentials=credentials, database_url=database_url, workdir=workdir)
        if failed:
            return 1

        context = multiprocessing.get_context("spawn")
        sample_path = workdir / "sample.eml"
        with _running_sink(context, sample_path=sample_path) as sink:
            sender_env = {
                **env,
                "TIDINGS_LOG_LEVEL": "WARNING",
                "TIDINGS_SMTP_HOST": HOST,
                "TIDINGS_SMTP_PORT": str(sink.port),
                "TIDINGS_SMTP_STARTTLS": "off",
                "TIDINGS_SMTP_MAX_CONNECTIONS": str(args.connections),
                "TIDINGS_SENDER_RENDER_PROCESSES": str(args.render_processes),
                "TIDINGS_PUBLIC_TRACK_URL": TRACK_URL,
            }
            command = [sys.executable, "-m", "tidings", "worker", "--role", "sender"]
            sender = cleanup.enter_context(running_server(command, env=sender_env, log_path=workdir / "sender.log"))
            claimed_at = _wait_for_first_claim(database_url, sender=sender)
            # The render processes, and multiprocessing's resource tracker (which costs nothing).
            renderers = child_pids(sender.pid)
            with sampling_profiles(_profiled(sender.pid, renderers), directory=args.profile):
                main_cpu_at_claim, sink_cpu_at_claim = cpu_seconds(sender.pid), cpu_seconds(sink.pid)
                render_cpu_at_claim = sum(cpu_seconds(pid) for pid in renderers)
                accepted = sink.wait_for(emails, is_alive=lambda: sender.poll() is None)
            main_cpu = cpu_seconds(sender.pid) - main_cpu_at_claim
            render_cpu = sum(cpu_seconds(pid) for pid in renderers) - render_cpu_at_claim
            sink_cpu = cpu_seconds(sink.pid) - sink_cpu_at_claim
            peak_rss_mb = server_peak_rss_mb(sender.pid) + sum(server_peak_rss_mb(pid) for pid in renderers)
            sent_seconds = sink.last_accepted_at - claimed_at
        statuses = _statuses(database_url)
        note(f"sender phase {sent_seconds:.2f} s; deliveries by status: {statuses}")
        # How much of a core each process used while sending: one near 100 % is the bound.
        busy = [f"sender {main_cpu / sent_seconds:.0%}", f"sink {sink_cpu / sent_seconds:.0%}"]
        busy.append(f"render processes {render_cpu / sent_seconds:.0%} in all ({args.render_processes})")
        note("busy while sending: " + ", ".join(busy) + f"; load average {os.getloadavg()[0]:.1f}")

        sample = sample_path.read_bytes()
        note(f"baseline: {emails} copies of a {len(sample)}-byte email over {args.connections} connections")
        with _running_sink(context, sample_path=None) as sink:
            started_at = asyncio.run(_send_copies(sample, port=sink.port, connections=args.connections, count=emails))
            baseline_accepted = sink.wait_for(emails, is_alive=lambda: True)
            baseline_seconds = sink.last_accepted_at - started_at

    rate = accepted / sent_seconds
    baseline_rate = baseline_accepted / baseline_seconds
    figure("send_email_sent", rate, "emails/s", backend, host)
    figure("send_email_sink_baseline", baseline_rate, "emails/s", backend, host)
    figure("send_email_sent_of_baseline", rate / baseline_rate, "ratio", backend, host)
    figure("send_email_sender_peak_rss", peak_rss_mb, "MB", backend, host)
    figure("send_email_sender_cpu", (main_cpu + render_cpu) / max(accepted, 1) * 1e6, "us/email", backend, host)
    figure("send_email_sender_main_cpu", main_cpu / max(accepted, 1) * 1e6, "us/email", backend, host)
    figure("send_email_sender_render_cpu", render_cpu / max(accepted, 1) * 1e6, "us/email", backend, host)
    figure("send_email_sink_cpu", sink_cpu / max(accepted, 1) * 1e6, "us/email", backend, host)
    if accepted < emails or statuses.get("sent", 0) != emails:
        note(f"only {accepted} of {emails} emails reached the sink; {statuses.get('sent', 0)} deliveries are sent")
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server for the scratch database")
    parser.add_argument("--emails", type=int, default=20_000, help="deliveries, one per person")
    parser.add_argument(
        "--connections", type=int, default=4, help="SMTP connections of the sender, and of the baseline client"
    )
    parser.add_argument(
        "--render-processes", type=int, default=1, help="the sender's render processes (TIDINGS_SENDER_RENDER_PROCESSES)"
    )
    parser.add_argument("--api-connections", type=int, default=32, help="HTTP connections while enqueueing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write py-spy samples of the sender here")
    return parser


# Phase 1: people and deliveries through the API.


def _enqueue(args: argparse.Namespace, *, env: dict[str, str], credentials, database_url: str, workdir: Path) -> bool:
    """Create the template, the people and the queued deliveries; True if anything failed."""
    port = free_port()
    with running_server(serve_command(port=port, workers=1), env=env, log_path=workdir / "server.log") as server:
        wait_until_ready(server, port=port, request=_ready_request(port, credentials.app_authorization))
        template_id = _create_template(port, authorization=credentials.app_authorization)
        started = time.monotonic()
        batches = -(-args.emails // IDENTIFIES_PER_BATCH)
        _, identified = run_load(
            build_identify_batches,
            {"people": args.emails, "host": f"{HOST}:{port}", "authorization": credentials.pipelines_authorization},
            port=port,
            connections=args.api_connections,
            procs=1,
            total=batches,
            seed=args.seed,
        )
        _, queued = run_load(
            build_send_requests,
            {
                "people": args.emails,
                "template_id": template_id,
                "host": f"{HOST}:{port}",
                "authorization": credentials.app_authorization,
            },
            port=port,
            connections=args.api_connections,
            procs=1,
            total=args.emails,
            seed=args.seed,
        )
        wait_until_applied(database_url)
        note(f"enqueued {args.emails} people and deliveries in {time.monotonic() - started:.1f} s")
    failed = report_failures(identified, total=batches, what="identify batches")
    failed |= report_failures(queued, total=args.emails, what="send requests")
    statuses = _statuses(database_url)
    if statuses.get("queued", 0) != args.emails:
        note(f"expected {args.emails} queued deliveries, found {statuses}")
        failed = True
    return failed


def _ready_request(port: int, authorization: str) -> bytes:
    return encode_request("GET", "/v1/transactional", host=f"{HOST}:{port}", authorization=authorization, body=None)


def _create_template(port: int, *, authorization: str) -> int:
    """The footer snippet, the layout and the template that uses both; returns the template's id."""
    _app_request(port, "PUT", "/v1/snippets", {"name": "footer", "value": FOOTER_SNIPPET}, authorization=authorization)
    layout = _app_request(port, "POST", "/v1/layouts", {"layout": LAYOUT}, authorization=authorization)
    created = _app_request(
        port, "POST", "/v1/transactional", template(layout["layout"]["id"]), authorization=authorization
    )
    return created["message"]["id"]


def _app_request(port: int, method: str, path: str, body: dict, *, authorization: str) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            method,
            path,
            body=json.dumps(body),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status not in (200, 201):
        raise RuntimeError(f"{method} {path} answered {response.status}: {answer[:300]!r}")
    return json.loads(answer)


def build_identify_batches(*, count: int, people: int, host: str, authorization: str, seed: int) -> list[bytes]:
    """`count` Pipelines batches that identify people 0..people-1 with what the template reads."""
    rng = random.Random(seed)
    requests = []
    for start in range(0, min(people, count * IDENTIFIES_PER_BATCH), IDENTIFIES_PER_BATCH):
        calls = [
            {
                "type": "identify",
                "userId": _user_id(person),
                "traits": {
                    "email": _email(person),
                    "first_name": f"person{person}",
                    "plan": rng.choice(_PLANS),
                    "timezone": rng.choice(_TIME_ZONES),
                },
            }
            for person in range(start, min(start + IDENTIFIES_PER_BATCH, people))
        ]
        requests.append(
            encode_request("POST", "/v1/batch", host=host, authorization=authorization, body={"batch": calls})
        )
    return requests


def build_send_requests(
    *, count: int, people: int, template_id: int, host: str, authorization: str, seed: int
) -> list[bytes]:
    """`count` `POST /v1/send/email` requests, one per person, each with its own order."""
    rng = random.Random(seed)
    requests = []
    for person in range(min(count, people)):
        items = [
            {
                "sku": f"SKU-{rng.randrange(10_000):05d}",
                "name": rng.choice(_PRODUCTS),
                "qty": rng.randrange(1, 4),
                "price": round(rng.uniform(2, 200), 2),
            }
            for _ in range(5)
        ]
        body = {
            "transactional_message_id": template_id,
            "identifiers": {"id": _user_id(person)},
            "to": _email(person),
            "message_data": {
                "order_id": f"A-{person:06d}",
                "total": round(sum(item["qty"] * item["price"] for item in items), 2),
                "shipping": 4.95,
                "placed_at": 1_767_225_600 + person * 7,
                "items": items,
                "deals": rng.sample(_DEALS, 2),
            },
        }
        requests.append(encode_request("POST", "/v1/send/email", host=host, authorization=authorization, body=body))
    return requests


def _user_id(person: int) -> str:
    return f"user-{person:06d}"


def _email(person: int) -> str:
    return f"person{person}@example.com"


def _statuses(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        with db.connect() as conn:
            rows = conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status))
            return {status: count for status, count in rows}
    finally:
        db.dispose()


# Phase 2: the sender, timed from its first claim.


def _wait_for_first_claim(database_url: str, *, sender) -> float:
    """Poll until the sender has leased a delivery (claiming counts an attempt); returns when."""
    db = Database(database_url)
    claimed = select(deliveries.c.id).where(deliveries.c.attempts > 0).limit(1)
    try:
        while True:
            with db.connect() as conn:
                if conn.execute(claimed).first() is not None:
                    return time.monotonic()
            if sender.poll() is not None:
                raise RuntimeError(f"the sender exited with {sender.returncode} before claiming anything")
            time.sleep(CLAIM_POLL_SECONDS)
    finally:
        db.dispose()


def _profiled(sender: int, children: list[int]) -> dict[str, int]:
    """The processes py-spy samples: the sender's own, and each render process."""
    renderers = [pid for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return {"sender": sender, **{f"render-{n}": pid for n, pid in enumerate(renderers)}}


# The sink: aiosmtpd in a process of its own, counting into shared memory.


class _Sink:
    def __init__(self, process, *, port: int, accepted, last_accepted) -> None:
        self._process = process
        self.port = port
        self._accepted = accepted
        self._last_accepted = last_accepted

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def last_accepted_at(self) -> float:
        """`time.monotonic()` (system-wide on Linux) when the sink accepted its last message."""
        return self._last_accepted.value

    def wait_for(self, count: int, *, is_alive) -> int:
        """Block until the sink has accepted `count` messages, or nothing arrived for a minute."""
        seen, progress_at = 0, time.monotonic()
        while (accepted := self._accepted.value) < count:
            if accepted != seen:
                seen, progress_at = accepted, time.monotonic()
            elif time.monotonic() - progress_at > STALL_SECONDS or not is_alive():
                note(f"the sink stalled at {accepted} of {count} messages")
                return accepted
            time.sleep(0.02)
        return accepted


@contextlib.contextmanager
def _running_sink(context, *, sample_path: Path | None):
    accepted = context.Value("q", 0, lock=False)
    last_accepted = context.Value("d", 0.0, lock=False)
    stop = context.Event()
    ports = context.SimpleQueue()
    process = context.Process(
        target=_sink_process, args=(ports, stop, accepted, last_accepted, sample_path), daemon=True
    )
    process.start()
    try:
        yield _Sink(process, port=ports.get(), accepted=accepted, last_accepted=last_accepted)
    finally:
        stop.set()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


class _CountingHandler:
    """Accepts every message, counting it; keeps the first one's bytes as a sample."""

    def __init__(self, accepted, last_accepted, sample_path: Path | None) -> None:
        self._accepted = accepted
        self._last_accepted = last_accepted
        self._sample_path = sample_path

    async def handle_DATA(self, server, session, envelope) -> str:
        if self._sample_path is not None:
            self._sample_path.write_bytes(envelope.original_content)
            self._sample_path = None
        self._last_accepted.value = time.monotonic()
        self._accepted.value += 1
        return "250 2.0.0 Ok: queued"


def _sink_process(ports, stop, accepted, last_accepted, sample_path: Path | None) -> None:
    from aiosmtpd.smtp import SMTP as SmtpServer

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        handler = _CountingHandler(accepted, last_accepted, sample_path)
        server = await loop.create_server(lambda: SmtpServer(handler, hostname="sink.test"), HOST, 0)
        ports.put(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.1)
        server.close()

    asyncio.run(serve())


# Phase 3: the baseline client.


async def _send_copies(message: bytes, *, port: int, connections: int, count: int) -> float:
    """Send `count` copies of `message` over `connections` connections; returns when sending began."""
    clients = [aiosmtplib.SMTP(hostname=HOST, port=port, start_tls=False) for _ in range(connections)]
    for client in clients:
        await client.connect()
    pending = iter(range(count))
    started_at = time.monotonic()

    async def send_all(client: aiosmtplib.SMTP) -> None:
        for n in pending:
            await client.sendmail(SENDER_ADDRESS, [_email(n)], message)
        await client.quit()

    await asyncio.gather(*(send_all(client) for client in clients))
    return started_at


if __name__ == "__main__":
    sys.exit(main())
