"""How long what an anonymous id did waits for an identify, and how late it may still join one."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["ANONYMOUS_LATE_WINDOW", "ANONYMOUS_RETENTION"]

# Anonymous events that arrive up to 5 minutes after the identify that merged their anonymous id
# still join the person; after that the anonymous id cannot be reused.
ANONYMOUS_LATE_WINDOW = timedelta(minutes=5)
# Unmerged anonymous events (and devices) are kept 30 days.
ANONYMOUS_RETENTION = timedelta(days=30)
