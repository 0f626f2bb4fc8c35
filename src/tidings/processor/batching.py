"""How many log messages the processor's next batch of a partition takes.

A batch is one transaction: its commit and, on SQLite, its turn at the one write lock are paid
once for all its messages, as are its fixed reads (the cursor, the log, the messageIds). Short
batches keep that lock free for the API, which waits for each of them to commit; long ones apply
more messages per turn. So the size follows how far the processor is behind: while the log holds
little more than a batch it stays at the configured size, and as messages pile up it grows with
them, taking a quarter of what waits, so that it catches up exactly when it is falling behind and
the backlog it settles at stays a fraction of a second of calls.
"""

from __future__ import annotations

__all__ = ["DEEP_LOG_BATCHES", "batch_size"]

# A batch grows to at most this many times the configured size.
DEEP_LOG_BATCHES = 8
# Each batch takes this share of the messages waiting (when that is more than the configured size).
_SHARE_OF_BACKLOG = 4


def batch_size(waiting: int, *, base: int) -> int:
    """Messages to take when `waiting` are in the partition: `base` when caught up, more when behind."""
    return max(base, min(waiting // _SHARE_OF_BACKLOG, base * DEEP_LOG_BATCHES))
