"""Render emails through the Liquid environment: a layout, loops, filters and 10 tracked links.

Prints `liquid_render_emails_per_s <value> emails/s <processes> <host>`. Each email gets its own
RenderContext (a different person and delivery id), as the sender builds one per delivery.

    .venv/bin/python bench/liquid_render.py [--emails 20000] [--processes 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import sys
import time
from datetime import UTC, datetime

from tidings.messaging import CampaignMeta, LayoutMeta, Links, MessageMeta, RenderContext, render_email_body

LAYOUT = """<!doctype html><html><head><style>p{margin:0}</style></head><body>
<a href="{% view_in_browser_url %}">View online</a>
<table><tr><td>{{content}}</td></tr></table>
<p>{{ snippets.footer }}</p>
<a href="{% unsubscribe_url %}" class="untracked">Unsubscribe</a>
</body></html>"""

BODY = """<h1>Hi {{ customer.first_name | default: "there" | capitalize }},</h1>
<p>Thanks for your order of {{ event.total | currency }} on {{ event.at | date: "%B %-d, %Y", customer.timezone }}.</p>
{% for item in event.items %}<tr class="{% cycle 'odd', 'even' %}">
<td><a href="{% cio_link url:"https://shop.example.com/p/{{ item.sku }}" %}">{{ item.name | escape }}</a></td>
<td>{{ item.qty }} × {{ item.price | currency }}</td></tr>
{% endfor %}
{% if customer.plan == blank %}<p>Pick a plan!</p>{% else %}<p>Your plan: {{ customer.plan | upcase }}</p>{% endif %}
{% for n in (1..5) %}<a href="{% cio_link url:https://shop.example.com/deal/{{ n }} %}">Deal {{ n }}</a>{% endfor %}
<p>{{ campaign.name }} / {{ message.name }} / {{ customer.email | url_encode }}</p>"""

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LINKS = Links(
    base_url="https://track.example.com",
    signing_key=b"0123456789abcdef0123456789abcdef",
    url_parameters={"utm_source": "customer.io", "utm_campaign": "{{campaign.name}}"},
)
CAMPAIGN = CampaignMeta(id=1, name="Order follow-up", type="transactional")
MESSAGE = MessageMeta(id=2, name="Receipt", type="email_action", subject="Your order")
LAYOUT_META = LayoutMeta(id=3, name="Basic")
SNIPPETS = {"footer": "© {{ 'now' | date: '%Y' }} Example Inc · {{ customer.email }}"}


def _context(n: int) -> RenderContext:
    items = [{"sku": f"S{n % 97}-{i}", "name": f"Item <{i}>", "qty": i + 1, "price": 9.99 + i} for i in range(5)]
    return RenderContext(
        now=NOW,
        customer={"id": str(n), "email": f"p{n}@example.com", "first_name": f"person{n}", "plan": "" if n % 3 else "pro", "timezone": "America/New_York"},
        event={"total": 123.45 + n % 10, "at": 1767225600 + n, "items": items},
        event_name="purchase",
        campaign=CAMPAIGN,
        message=MESSAGE,
        layout=LAYOUT_META,
        snippets=SNIPPETS,
        delivery_id=f"delivery-{n}",
        links=LINKS,
    )


def _work(count: int) -> int:
    size = 0
    for n in range(count):
        size += len(render_email_body(LAYOUT, BODY, _context(n)).html)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    _work(50)  # parse and warm the caches once before timing
    per_process = args.emails // args.processes
    started = time.perf_counter()
    if args.processes == 1:
        _work(per_process)
    else:
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            pool.map(_work, [per_process] * args.processes)
    elapsed = time.perf_counter() - started
    rate = per_process * args.processes / elapsed
    print(f"liquid_render_emails_per_s {rate:.0f} emails/s processes={args.processes} {platform.node()}")
    print(f"email size {len(render_email_body(LAYOUT, BODY, _context(1)).html)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
