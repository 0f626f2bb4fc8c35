"""The durable, ordered message log where ingest hands messages to the processor."""

from tidings.log.dedupe import MESSAGE_ID_WINDOW, find_repeats, forget_expired_message_ids
from tidings.log.messages import (
    DeleteDevice,
    DeletePerson,
    Identify,
    Merge,
    Message,
    Page,
    PersonRef,
    Screen,
    SuppressPerson,
    Track,
    UnsuppressPerson,
    UpsertDevice,
    decode_message,
    encode_message,
)
from tidings.log.queries import (
    LogEntry,
    advance_cursor,
    claim_partition,
    ensure_cursors,
    partitions_behind,
    pending_count,
    read_after,
)
from tidings.log.writer import LogWriter, partition_for

__all__ = [
    "MESSAGE_ID_WINDOW",
    "DeleteDevice",
    "DeletePerson",
    "Identify",
    "LogEntry",
    "LogWriter",
    "Merge",
    "Message",
    "Page",
    "PersonRef",
    "Screen",
    "SuppressPerson",
    "Track",
    "UnsuppressPerson",
    "UpsertDevice",
    "advance_cursor",
    "claim_partition",
    "decode_message",
    "encode_message",
    "ensure_cursors",
    "find_repeats",
    "forget_expired_message_ids",
    "partition_for",
    "partitions_behind",
    "pending_count",
    "read_after",
]
