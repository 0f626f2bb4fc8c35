"""The missing-data rule: output of a missing variable fails the message; tests of it do not.

Customer.io: "If your liquid statements don't evaluate properly—like if a person doesn't have a
first_name attribute—the message won't send." Yet `{% if customer.x %}`, `== blank`, `== nil`,
comparisons and `| default:` are the documented fallbacks and must stay safe. This is LiquidJS's
`strictVariables` with `lenientIf`, the engine behind Customer.io's latest Liquid:

- a missing path resolves to `MissingValue`, which is falsy, equal to nil and blank, and smaller
  or larger than nothing, so conditions read it safely;
- writing it out, iterating it (`for`), or passing it to any filter but `default` raises
  `Variable 'customer.x' is missing`.

Decision: the docs' other claim, that a wrong namespace "renders empty with no error", is not
followed; a missing root fails like a missing attribute. `{% assign v = customer.x %}` carries the
missing value along and fails where `v` is written out, not at the assignment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from liquid import RenderContext as LiquidContext
from liquid import Token, Undefined
from liquid.ast import Node
from liquid.builtin.expressions.logical import EqExpression, NeExpression
from liquid.builtin.expressions.primitive import Blank
from liquid.exceptions import FilterArgumentError, LiquidError, UndefinedError
from liquid.expression import Expression
from liquid.undefined import UNDEFINED

__all__ = [
    "BlankComparison",
    "MissingValue",
    "StrictContext",
    "is_blank",
    "missing_guard",
    "rewrite_blank",
    "rewrite_blank_expression",
]

_PROPERTY = re.compile(r"[A-Za-z_][\w-]*")


class MissingValue(Undefined):
    """A path that resolved to nothing. `name` is the path as written, e.g. `customer.first_name`."""

    __slots__ = ()

    force_liquid_default = True

    def message(self) -> str:
        return f"Variable '{self.name}' is missing"

    def fail(self) -> UndefinedError:
        return UndefinedError(self.message(), token=self.token)

    def __str__(self) -> str:
        raise self.fail()

    def __iter__(self) -> Iterator[Any]:
        raise self.fail()

    def items(self) -> Any:  # a `for` loop over a map asks for its items
        raise self.fail()

    def __repr__(self) -> str:
        return f"MissingValue({self.name!r})"


def path_text(path: list[object]) -> str:
    """Write a resolved path back the way a template spells it: `customer["current city"].x`."""
    parts = [str(path[0])]
    for segment in path[1:]:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif isinstance(segment, str) and _PROPERTY.fullmatch(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f'["{segment}"]')
    return "".join(parts)


class StrictContext(LiquidContext):
    """A render context whose misses carry their full path, and which holds the render's state."""

    __slots__ = ("state",)

    def get(self, path: list[object], *, token: Token | None, default: object = UNDEFINED) -> object:
        if default is not UNDEFINED:
            return super().get(path, token=token, default=default)
        value = super().get(path, token=token)
        # The engine names only the root of a miss (and says so in `hint`); name the whole path.
        if isinstance(value, Undefined) and (value.hint is not None or not isinstance(value, MissingValue)):
            return MissingValue(path_text(path), token=token)
        return value


def missing_guard(func: Callable[..., object]) -> Callable[..., object]:
    """Wrap a filter so a missing input or argument fails the render instead of reading as empty,
    and so a value of the wrong kind fails it with a message rather than a Python exception."""

    name = getattr(func, "__name__", "filter")

    def guarded(value: object, *args: object, **kwargs: object) -> object:
        if isinstance(value, MissingValue):
            raise value.fail()
        for arg in args:
            if isinstance(arg, MissingValue):
                raise arg.fail()
        try:
            return func(value, *args, **kwargs)
        except LiquidError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as err:
            raise FilterArgumentError(f"{name}: {err}", token=None) from err

    for flag in ("with_context", "with_environment"):
        if getattr(func, flag, False):
            setattr(guarded, flag, True)
    guarded.__name__ = name
    guarded.__doc__ = func.__doc__
    return guarded


def is_blank(value: object) -> bool:
    """Customer.io's `blank`: missing, nil, false, an empty or all-space string, an empty list or map."""
    if value is None or value is False or isinstance(value, Undefined):
        return True
    if isinstance(value, str):
        return not value or value.isspace()
    if isinstance(value, (list, tuple, dict)):
        return not value
    return False


class BlankComparison(Expression):
    """`x == blank` / `x != blank` with Customer.io's meaning of blank (see `is_blank`)."""

    __slots__ = ("operand", "is_negated")

    def __init__(self, token: Token, operand: Expression, *, is_negated: bool) -> None:
        super().__init__(token=token)
        self.operand = operand
        self.is_negated = is_negated

    def __str__(self) -> str:
        return f"{self.operand} {'!=' if self.is_negated else '=='} blank"

    def evaluate(self, context: LiquidContext) -> bool:
        return is_blank(self.operand.evaluate(context)) != self.is_negated

    async def evaluate_async(self, context: LiquidContext) -> bool:
        return is_blank(await self.operand.evaluate_async(context)) != self.is_negated

    def children(self) -> list[Expression]:
        return [self.operand]


def rewrite_blank(nodes: list[Node]) -> None:
    """Replace every `== blank` / `!= blank` in a parsed template with `BlankComparison`.

    python-liquid treats a missing value, nil and false as not blank; Customer.io's fallback idiom
    `{% if customer.first_name == blank %}` relies on them being blank. Done once per parse.
    """
    for node in nodes:
        _rewrite_object(node)


def rewrite_blank_expression(expression: Expression) -> Expression:
    """`rewrite_blank` for one expression parsed on its own (a `where_exp` condition)."""
    return _rewrite_value(expression)  # type: ignore[return-value]


def _rewrite_object(obj: object) -> None:
    names = [*_slot_names(type(obj)), *(n for n in getattr(obj, "__dict__", {}) if n not in _SKIPPED)]
    for name in names:
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if isinstance(value, (Node, Expression)):
            replaced = _rewrite_value(value)
            if replaced is not value:
                setattr(obj, name, replaced)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (Node, Expression)):
                    value[index] = _rewrite_value(item)


def _rewrite_value(value: Node | Expression) -> Node | Expression:
    if isinstance(value, (EqExpression, NeExpression)):
        operand = value.right if isinstance(value.left, Blank) else value.left
        if isinstance(value.left, Blank) or isinstance(value.right, Blank):
            return BlankComparison(value.token, operand, is_negated=isinstance(value, NeExpression))
    _rewrite_object(value)
    return value


@cache
def _slot_names(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    return [n for n in names if n not in _SKIPPED]


_SKIPPED = frozenset({"token", "blank", "__weakref__", "__dict__"})
