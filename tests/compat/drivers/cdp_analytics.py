"""Drive the `customerio-cdp-analytics` client, unchanged, from its own interpreter.

The package installs a top-level `customerio` package of its own, which would shadow the Track
API client in the test environment; so it lives in a separate directory (see scripts/ensure-venv)
and runs here, in a child process. Reads {"host", "write_key", "calls": [{"method", "kwargs"}]} on
stdin, sends every call (gzip on, one request per call), and prints {"errors": [...]}.
"""

import json
import sys

from customerio.analytics import Client

spec = json.load(sys.stdin)
errors: list[str] = []
client = Client(
    spec["write_key"],
    host=spec["host"],
    gzip=True,
    sync_mode=True,
    max_retries=0,
    on_error=lambda error, batch: errors.append(str(error)),
)
for call in spec["calls"]:
    getattr(client, call["method"])(**call["kwargs"])
client.flush()
print(json.dumps({"errors": errors}))
