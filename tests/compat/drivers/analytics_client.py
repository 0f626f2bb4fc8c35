"""Drive a Segment-style analytics client, unchanged, from its own interpreter.

`customerio-cdp-analytics`, `segment-analytics-python` and `rudder-sdk-python` share one client
design. Each lives in its own directory (see scripts/ensure-venv): the first installs a top-level
`customerio` package that would shadow the Track API client, and their dependencies differ.
Reads {"module", "host", "write_key", "calls": [{"method", "kwargs"}]} on stdin, sends every call
(gzip on, one request per call), and prints {"errors": [...]}.
"""

import importlib
import json
import sys

spec = json.load(sys.stdin)
errors: list[str] = []
client = importlib.import_module(spec["module"]).Client(
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
