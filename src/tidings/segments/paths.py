"""JSON paths into attributes and event data (spec §2.9), and what they reach in a Python value.

    a.b     child b of object a
    a[0]    the first element of array a
    a[].b   b of any element of array a
    a[]     at the end of a path: any value anywhere inside array a
    a?.b    b of any element when a is an array, b of a itself when a is an object

A path reaches a list of values; conditions hold when any of them passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["AnyElement", "Index", "JsonPath", "Key", "OptionalKey", "PathError", "leaves", "parse_path", "resolve"]

# Characters with a meaning in paths; keys cannot contain them, and SQLite's JSON paths cannot
# quote a double quote inside a key.
_SYNTAX = frozenset('.[]?"\\')
MAX_INDEX = 10_000


class PathError(ValueError):
    """A path that does not follow the syntax; the message says where."""


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    position: int


@dataclass(frozen=True, slots=True)
class AnyElement:
    """`[]`: every element; at the end of a path, every value inside the array."""


@dataclass(frozen=True, slots=True)
class OptionalKey:
    """`?.name`: name of every element of an array, or of the object itself."""

    name: str


Segment = Key | Index | AnyElement | OptionalKey


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path. The first segment is always the root key (an attribute or property name)."""

    text: str
    segments: tuple[Segment, ...]

    @property
    def root(self) -> str:
        first = self.segments[0]
        assert isinstance(first, Key)
        return first.name

    @property
    def is_single_key(self) -> bool:
        return len(self.segments) == 1


@lru_cache(maxsize=4096)
def parse_path(text: str) -> JsonPath:
    """Parse `text`, raising PathError naming the position of the first mistake."""
    if not text:
        raise PathError("the path is empty")
    segments: list[Segment] = []
    position = 0
    name, position = _key(text, position)
    segments.append(Key(name))
    while position < len(text):
        char = text[position]
        if char == ".":
            name, position = _key(text, position + 1)
            segments.append(Key(name))
        elif char == "?":
            if not text.startswith("?.", position):
                raise PathError(f"'?' must be followed by '.name' (at {position})")
            name, position = _key(text, position + 2)
            segments.append(OptionalKey(name))
        elif char == "[":
            end = text.find("]", position)
            if end < 0:
                raise PathError(f"'[' at {position} is not closed")
            inside = text[position + 1 : end]
            if inside == "":
                segments.append(AnyElement())
            elif inside.isascii() and inside.isdigit() and int(inside) <= MAX_INDEX:
                segments.append(Index(int(inside)))
            else:
                raise PathError(f"an index must be a whole number from 0 to {MAX_INDEX}, or empty (at {position})")
            position = end + 1
        else:
            raise PathError(f"unexpected {char!r} at {position}; keys are joined with '.'")
    return JsonPath(text, tuple(segments))


def _key(text: str, position: int) -> tuple[str, int]:
    end = position
    while end < len(text) and text[end] not in _SYNTAX:
        end += 1
    if end == position:
        found = repr(text[position]) if position < len(text) else "the end"
        raise PathError(f"expected a key at {position}, found {found}")
    if end < len(text) and text[end] in '"\\':
        raise PathError(f"keys cannot contain {text[end]!r} (at {end})")
    return text[position:end], end


def resolve(document: Any, path: JsonPath) -> list[Any]:
    """Every value `path` reaches in `document` (a dict), in document order."""
    values = [document]
    last = len(path.segments) - 1
    for i, segment in enumerate(path.segments):
        reached: list[Any] = []
        for value in values:
            match segment:
                case Key(name):
                    if isinstance(value, dict) and name in value:
                        reached.append(value[name])
                case Index(position):
                    if isinstance(value, list) and position < len(value):
                        reached.append(value[position])
                case AnyElement():
                    if isinstance(value, list):
                        reached.extend(_inside(value) if i == last else value)
                case OptionalKey(name):
                    if isinstance(value, list):
                        reached.extend(e[name] for e in value if isinstance(e, dict) and name in e)
                    elif isinstance(value, dict) and name in value:
                        reached.append(value[name])
        values = reached
    return values


def _inside(array: list[Any]) -> Iterator[Any]:
    for element in array:
        yield from leaves(element)


def leaves(value: Any) -> Iterator[Any]:
    """The scalars in `value` at any depth (object keys excluded), or `value` if it is one."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value
