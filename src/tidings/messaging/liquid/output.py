"""How a value is written out by `{{ … }}`: Customer.io's Ruby heritage shows in maps and times.

A map written out whole renders as a Ruby hash, `{"name"=>"x", "n"=>1}`; Customer.io's docs show it
for `{{objects.online_classes}}` and rely on it (`{{ customer | replace: "=>", ":" }}` turns it into
JSON). Lists are joined without a separator, nil is empty, booleans are `true`/`false`, whole floats
keep their `.0` and a time prints like Ruby's `Time#to_s`. A missing value fails the render.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from liquid import RenderContext as LiquidContext
from liquid.builtin.output import Output, OutputNode

from tidings.messaging.liquid.missing import MissingValue

__all__ = ["RubyOutput", "ruby_inspect", "to_output"]


def to_output(value: object) -> str:
    """The text `{{ value }}` writes."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, MissingValue):
        raise value.fail()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %z")
    if isinstance(value, Mapping):
        return ruby_inspect(value)
    if isinstance(value, (list, tuple)):
        return "".join(to_output(item) for item in _flatten(value))
    if isinstance(value, range):
        return f"{value.start}..{value.stop - 1}"
    return str(value)


def ruby_inspect(value: object) -> str:
    """Ruby's `inspect` of a JSON-like value: `{"a"=>1, "b"=>[nil, true]}`."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, MissingValue):
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(ruby_inspect(item) for item in value) + "]"
    if isinstance(value, (datetime, date)):
        return to_output(value)
    return str(value)


def _flatten(items: Iterable[object]) -> Iterable[object]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


class RubyOutputNode(OutputNode):
    """`{{ expression }}` written out with `to_output`."""

    __slots__ = ()

    def render_to_output(self, context: LiquidContext, buffer: TextIO) -> int:
        return buffer.write(to_output(self.expression.evaluate(context)))

    async def render_to_output_async(self, context: LiquidContext, buffer: TextIO) -> int:
        return buffer.write(to_output(await self.expression.evaluate_async(context)))


class RubyOutput(Output):
    """Registers `RubyOutputNode` as the environment's output statement."""

    node_class = RubyOutputNode
