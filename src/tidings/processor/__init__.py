"""The processor: applies log messages to people, events, devices and objects, in order, exactly once,
and moves the people they change through live segments in the same transaction."""

from tidings.processor.handlers import apply_message
from tidings.processor.segment_targeting import refresh_segments
from tidings.processor.worker import Processor

__all__ = ["Processor", "apply_message", "refresh_segments"]
