"""Array and JSON filters Customer.io has beyond the standard set, with latest Liquid's `sort`/`concat`.

`to_json` is how a template emits an object or array with its types (webhook bodies, attribute
updates); written out without it, a map reads as a Ruby hash. The standard `first`, `last`,
`join`, `map`, `reverse`, `compact`, `uniq`, `sort_natural`, `where` and `find` come from the engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from liquid import Environment, TokenStream
from liquid.builtin.expressions import BooleanExpression, FilteredExpression, tokenize
from liquid.exceptions import FilterArgumentError, LiquidError
from liquid.expression import Expression
from liquid.filter import with_context
from liquid.token import TOKEN_EXPRESSION, Token

from tidings.messaging.liquid.missing import MissingValue, StrictContext, rewrite_blank_expression
from tidings.messaging.liquid.output import to_output

__all__ = [
    "array_to_sentence_string",
    "concat",
    "find_exp",
    "from_json",
    "group_by",
    "group_by_exp",
    "json_array_uniq",
    "join",
    "json_filter",
    "pop",
    "push",
    "shift",
    "sort",
    "to_json",
    "unshift",
    "where_exp",
    "where_not",
]


def _list(value: object) -> list[object]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None:
        return []
    return [value]


def _get(item: object, key: object) -> object:
    if isinstance(item, Mapping):
        return item.get(key)  # type: ignore[call-overload]
    return None


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: object) -> str:
    """The value as compact JSON, types kept (`{"a":1,"b":[true,null]}`)."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as err:
        raise FilterArgumentError(f"to_json: {err}", token=None) from err


def json_filter(value: object, indent: object = None) -> str:
    """`json` is `to_json`; `json: 4` pretty-prints with that indent."""
    if indent is None:
        return to_json(value)
    try:
        spaces = int(str(indent))
        return json.dumps(value, indent=spaces, ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as err:
        raise FilterArgumentError(f"json: {err}", token=None) from err


def from_json(value: object) -> object:
    """Parse a JSON string (an attribute that holds stringified JSON) into objects and arrays."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as err:
        raise FilterArgumentError(f"from_json: invalid JSON ({err.args[0]})", token=None) from err


def json_array_uniq(value: object, key: object) -> list[object]:
    """Objects of an array, the first one for each distinct value of `key` (latest Liquid)."""
    seen: list[object] = []
    unique: list[object] = []
    for item in _list(value):
        marker = _get(item, key)
        if marker not in seen:
            seen.append(marker)
            unique.append(item)
    return unique


def group_by(value: object, key: object) -> list[dict[str, object]]:
    """`group_by: "type"` → `[{"name": "kitchen", "items": […]}, …]`, in first-seen order."""
    groups: dict[object, list[object]] = {}
    names: list[object] = []
    for item in _list(value):
        name = _get(item, key)
        marker = json.dumps(name, sort_keys=True, default=str)
        if marker not in groups:
            groups[marker] = []
            names.append(name)
        groups[marker].append(item)
    return [{"name": name, "items": groups[json.dumps(name, sort_keys=True, default=str)]} for name in names]


def sort(value: object, key: object = None) -> list[object]:
    """Ascending, case-sensitive; an array holding nils (or mixed types) is left in its order."""
    items = _list(value)
    keys = [_get(item, key) for item in items] if key is not None else items
    if any(k is None for k in keys):
        return items
    try:
        order = sorted(range(len(items)), key=lambda i: keys[i])  # type: ignore[arg-type, return-value]
    except TypeError:
        return items
    return [items[i] for i in order]


def concat(value: object, other: object) -> list[object]:
    """The two arrays joined; an object (latest Liquid) is appended as one item."""
    if isinstance(other, (list, tuple)):
        return _list(value) + list(other)
    return _list(value) + [other]


def join(value: object, separator: object = " ") -> str:
    """Items written out as `{{ }}` writes them (nil as nothing, maps as Ruby hashes), joined."""
    return ("" if separator is None else str(separator)).join(to_output(item) for item in _flat(_list(value)))


def _flat(items: list[object]) -> list[object]:
    flat: list[object] = []
    for item in items:
        flat.extend(_flat(list(item)) if isinstance(item, (list, tuple)) else [item])
    return flat


def pop(value: object, count: object = 1) -> list[object]:
    """A copy without its last `count` items."""
    items = _list(value)
    return items[: max(len(items) - _count(count), 0)]


def shift(value: object, count: object = 1) -> list[object]:
    """A copy without its first `count` items."""
    return _list(value)[_count(count) :]


def push(value: object, item: object) -> list[object]:
    """A copy with `item` added at the end."""
    return [*_list(value), item]


def unshift(value: object, item: object) -> list[object]:
    """A copy with `item` added at the start."""
    return [item, *_list(value)]


def where_not(value: object, key: object, target: object = None) -> list[object]:
    """Items whose `key` is not `target` (not truthy, without a target)."""
    if target is None:
        return [item for item in _list(value) if not _get(item, key)]
    return [item for item in _list(value) if _get(item, key) != target]


def array_to_sentence_string(value: object, connector: object = "and") -> str:
    """`["a", "b", "c"]` → `a, b, and c`; two items → `a and b`."""
    words = ["" if item is None else str(item) for item in _list(value)]
    if len(words) <= 1:
        return "".join(words)
    if len(words) == 2:
        return f"{words[0]} {connector} {words[1]}"
    return f"{', '.join(words[:-1])}, {connector} {words[-1]}"


def _count(count: object) -> int:
    try:
        return int(float(str(count)))
    except ValueError:
        raise FilterArgumentError(f"expected a number, found {count!r}", token=None) from None


@lru_cache(maxsize=256)
def _expression(env: Environment, source: str, *, is_condition: bool) -> Expression:
    token = Token(TOKEN_EXPRESSION, source, 0, source)
    stream = TokenStream(tokenize(source, token))
    try:
        if is_condition:
            return rewrite_blank_expression(BooleanExpression.parse(env, stream))
        return FilteredExpression.parse(env, stream)
    except LiquidError as err:
        raise FilterArgumentError(f"invalid expression '{source}': {err.message}", token=None) from err


def _each(value: object, name: object, source: object, context: StrictContext, *, is_condition: bool) -> list[tuple[object, object]]:
    expression = _expression(context.env, str(source), is_condition=is_condition)
    results = []
    for item in _list(value):
        with context.extend({str(name): item}):
            result = expression.evaluate(context)
        if isinstance(result, MissingValue):
            result = None
        results.append((item, result))
    return results


@with_context
def where_exp(value: object, name: object, condition: object, *, context: StrictContext) -> list[object]:
    """`where_exp: "item", "item.price > 10"`: items for which the condition holds."""
    return [item for item, is_kept in _each(value, name, condition, context, is_condition=True) if is_kept]


@with_context
def find_exp(value: object, name: object, condition: object, *, context: StrictContext) -> object:
    """`find_exp: "item", "item.sku == 'A1'"`: the first item for which the condition holds, or nil."""
    for item, is_found in _each(value, name, condition, context, is_condition=True):
        if is_found:
            return item
    return None


@with_context
def group_by_exp(value: object, name: object, expression: object, *, context: StrictContext) -> list[dict[str, object]]:
    """`group_by_exp: "item", "item.date | date: '%Y'"`: groups keyed by the expression's value."""
    keyed = [{"__key": key, "__item": item} for item, key in _each(value, name, expression, context, is_condition=False)]
    return [{"name": g["name"], "items": [k["__item"] for k in g["items"]]} for g in group_by(keyed, "__key")]  # type: ignore[index, union-attr]

