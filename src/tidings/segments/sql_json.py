"""JSON navigation and the value rules of `values.py`, in SQLite's and PostgreSQL's SQL.

A JSON path compiles to nodes: on SQLite a (document, path text) pair read with json_type /
json_extract and iterated with json_each / json_tree; on PostgreSQL a jsonb expression built
with `->`, iterated with jsonb_array_elements / jsonb_path_query. Either way, a value is then
seen as a `Scalar`: the same few facts (is it a string, a number, true, false; its text; its
number) on which `compile.py` states every operator once, for both databases.

Case folding is spelled out as ASCII-only on PostgreSQL because SQLite's lower() folds only
ASCII and both must agree with Python (values.fold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import ColumnElement, FromClause, column

from tidings.segments.values import MAX_MAGNITUDE, MAX_NUMERIC_TEXT, MAX_TIMESTAMP_TEXT, MAX_WHOLE

__all__ = ["JsonSql", "Scalar", "json_sql", "number_column", "text_column"]

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CONTAINERS = ("object", "array")
# Compared as numeric: a float8 operand would make PostgreSQL cast a huge number to float8 and fail.
_MAGNITUDE = literal_column(f"{MAX_MAGNITUDE:.0e}::numeric", Numeric)


@dataclass(frozen=True, slots=True)
class Scalar:
    """One candidate value as SQL expressions; `text` and `number` mean something only when
    `is_string` / `is_number` hold. `is_present` is the exists test (not null, not "")."""

    is_string: ColumnElement[bool]
    is_number: ColumnElement[bool]
    is_true: ColumnElement[bool]
    is_false: ColumnElement[bool]
    is_present: ColumnElement[bool]
    text: ColumnElement[Any]
    number: ColumnElement[Any]


def text_column(expression: ColumnElement[Any]) -> Scalar:
    """A nullable text column (email, platform) as a scalar."""
    is_string = expression.is_not(None)
    return Scalar(is_string, false(), false(), false(), and_(is_string, expression != ""), expression, cast(null(), Float))


def number_column(expression: ColumnElement[Any]) -> Scalar:
    """A non-null whole-number expression (unix seconds of a time column) as a scalar."""
    return Scalar(false(), true(), false(), false(), true(), cast(null(), String), cast(expression, Float))


class JsonSql(Protocol):
    """What the compiler needs from a dialect. Nodes are opaque to it."""

    name: str

    def root(self, document: ColumnElement[Any]) -> Any: ...
    def key(self, node: Any, name: str) -> Any: ...
    def index(self, node: Any, position: int) -> Any: ...
    def elements(self, node: Any) -> tuple[FromClause, Any, list[ColumnElement[bool]]]: ...
    def leaves(self, node: Any, *, of_array: bool) -> tuple[FromClause, Scalar, list[ColumnElement[bool]]]: ...
    def scalar(self, node: Any) -> Scalar: ...
    def fold(self, text: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def is_numeric_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]: ...
    def is_digits_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]: ...
    def text_number(self, text: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def text_integer(self, text: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def truncate(self, number: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def number_text(self, number: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def epoch(self, moment: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def epoch_micros(self, moment: ColumnElement[Any]) -> ColumnElement[Any]: ...
    def from_epoch_micros(self, micros: ColumnElement[Any]) -> ColumnElement[Any]: ...


def json_sql(dialect: str) -> JsonSql:
    """The JSON rules for a dialect name ("sqlite" or "postgresql")."""
    if dialect == "sqlite":
        return _SQLITE
    if dialect == "postgresql":
        return _POSTGRESQL
    raise ValueError(f"segments compile for sqlite or postgresql, not {dialect!r}")


@dataclass(frozen=True, slots=True)
class _SqliteNode:
    document: ColumnElement[Any]
    path: str | ColumnElement[Any]  # a literal path, or an expression from json_each's fullkey

    def extend(self, suffix: str) -> _SqliteNode:
        if isinstance(self.path, str):
            return _SqliteNode(self.document, self.path + suffix)
        return _SqliteNode(self.document, self.path.concat(suffix))

    @property
    def path_expression(self) -> ColumnElement[Any]:
        return literal(self.path, String) if isinstance(self.path, str) else self.path


class _Sqlite:
    name = "sqlite"

    def root(self, document: ColumnElement[Any]) -> _SqliteNode:
        return _SqliteNode(document, "$")

    def key(self, node: _SqliteNode, name: str) -> _SqliteNode:
        return node.extend(f'."{name}"')  # paths.parse_path refuses keys with " or \

    def index(self, node: _SqliteNode, position: int) -> _SqliteNode:
        return node.extend(f"[{position}]")

    def _type(self, node: _SqliteNode) -> ColumnElement[Any]:
        return func.json_type(node.document, node.path_expression)

    def elements(self, node: _SqliteNode) -> tuple[FromClause, _SqliteNode, list[ColumnElement[bool]]]:
        each = func.json_each(node.document, node.path_expression).table_valued("fullkey").alias()
        # json_each walks objects' members and yields scalars themselves: arrays only.
        return each, _SqliteNode(node.document, each.c.fullkey), [self._type(node) == "array"]

    def leaves(self, node: _SqliteNode, *, of_array: bool) -> tuple[FromClause, Scalar, list[ColumnElement[bool]]]:
        tree = func.json_tree(node.document, node.path_expression).table_valued("type", "atom").alias()
        guards = [tree.c.type.not_in(_CONTAINERS)]
        if of_array:
            guards.append(self._type(node) == "array")
        return tree, self._scalar(tree.c.type, tree.c.atom), guards

    def scalar(self, node: _SqliteNode) -> Scalar:
        return self._scalar(self._type(node), func.json_extract(node.document, node.path_expression))

    def _scalar(self, kind: ColumnElement[Any], value: ColumnElement[Any]) -> Scalar:
        is_string = kind == "text"
        is_number = kind.in_(("integer", "real"))
        real = cast(value, Float)
        number = case((and_(is_number, func.abs(real) < MAX_MAGNITUDE), real), else_=null())
        present = and_(kind.is_not(None), kind != "null", not_(and_(is_string, value == "")))
        return Scalar(is_string, is_number, kind == "true", kind == "false", present, value, number)

    def fold(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.lower(text)

    def _unsigned(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return case((func.substr(text, 1, 1) == "-", func.substr(text, 2)), else_=text)

    def is_numeric_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]:
        # -?[0-9]+(\.[0-9]+)? without regular expressions, which SQLite lacks: digits and at most
        # one dot, starting and ending with a digit.
        digits = self._unsigned(text)
        return and_(
            func.length(text) <= MAX_NUMERIC_TEXT,
            digits.op("GLOB", is_comparison=True)("[0-9]*"),
            digits.op("GLOB", is_comparison=True)("*[0-9]"),
            not_(digits.op("GLOB", is_comparison=True)("*[^0-9.]*")),
            not_(digits.op("GLOB", is_comparison=True)("*.*.*")),
        )

    def is_digits_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]:
        digits = self._unsigned(text)
        return and_(
            func.length(text) <= MAX_TIMESTAMP_TEXT,
            digits.op("GLOB", is_comparison=True)("[0-9]*"),
            not_(digits.op("GLOB", is_comparison=True)("*[^0-9]*")),
        )

    def text_number(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(text, Float)

    def text_integer(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(text, Integer)

    def truncate(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(number, Integer)

    def number_text(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        # Whole numbers without a fraction; others with the fewest digits that read back as the
        # same double, as Python's repr() does (SQLite's own text conversion keeps 15 digits).
        whole = cast(number, Integer)
        shortest = [func.printf(f"%.{digits}g", number) for digits in (15, 16, 17)]
        return case(
            (and_(number == whole, func.abs(number) < MAX_WHOLE), cast(whole, String)),
            (cast(shortest[0], Float) == number, shortest[0]),
            (cast(shortest[1], Float) == number, shortest[1]),
            else_=shortest[2],
        )

    def epoch(self, moment: ColumnElement[Any]) -> ColumnElement[Any]:
        # Whole seconds only: SQLite reads fractions to the millisecond, rounding .9995 up a second.
        return cast(func.strftime("%s", func.substr(moment, 1, 19)), Integer)

    def epoch_micros(self, moment: ColumnElement[Any]) -> ColumnElement[Any]:
        # A stored time is "YYYY-MM-DD HH:MM:SS.ffffff" (db.types.UtcDateTime): seconds, then micros.
        return self.epoch(moment) * 1_000_000 + cast(func.substr(moment, 21, 6), Integer)

    def from_epoch_micros(self, micros: ColumnElement[Any]) -> ColumnElement[Any]:
        whole = cast(micros, Integer)
        seconds = func.strftime("%Y-%m-%d %H:%M:%S", whole // 1_000_000, "unixepoch")
        return seconds.concat(".").concat(func.printf("%06d", whole % 1_000_000))


class _Postgresql:
    name = "postgresql"

    def root(self, document: ColumnElement[Any]) -> ColumnElement[Any]:
        return document

    def key(self, node: ColumnElement[Any], name: str) -> ColumnElement[Any]:
        return node.op("->", return_type=JSONB)(literal(name, String))

    def index(self, node: ColumnElement[Any], position: int) -> ColumnElement[Any]:
        # An integer operand: `-> 0` on an object is null, where `#> '{0}'` would read key "0".
        # Only on arrays: PostgreSQL stores a lone scalar as a one-element array, so `"pro" -> 0`
        # would be "pro".
        element = node.op("->", return_type=JSONB)(literal(position, Integer))
        return case((func.jsonb_typeof(node) == "array", element), else_=null())

    def _array_or_empty(self, node: ColumnElement[Any]) -> ColumnElement[Any]:
        return case((func.jsonb_typeof(node) == "array", node), else_=literal_column("'[]'::jsonb", JSONB))

    def elements(self, node: ColumnElement[Any]) -> tuple[FromClause, ColumnElement[Any], list[ColumnElement[bool]]]:
        each = func.jsonb_array_elements(self._array_or_empty(node)).table_valued(column("value", JSONB)).render_derived().alias()
        return each, each.c.value, []

    def leaves(self, node: ColumnElement[Any], *, of_array: bool) -> tuple[FromClause, Scalar, list[ColumnElement[bool]]]:
        source = self._array_or_empty(node) if of_array else node
        every = literal_column("'strict $.**'::jsonpath")
        # A set-returning function names its one column after the alias unless told: `AS t(value)`.
        tree = func.jsonb_path_query(source, every).table_valued(column("value", JSONB)).render_derived().alias()
        return tree, self.scalar(tree.c.value), [func.jsonb_typeof(tree.c.value).not_in(_CONTAINERS)]

    def scalar(self, node: ColumnElement[Any]) -> Scalar:
        kind = func.jsonb_typeof(node)
        is_string = kind == "string"
        is_number = kind == "number"
        number = case(
            (and_(is_number, func.abs(cast(node, Numeric)) < _MAGNITUDE), cast(node, Float)),
            else_=null(),
        )
        text = node.op("#>>", return_type=String)(literal_column("'{}'"))
        present = and_(node.is_not(None), kind != "null", node != literal_column("'\"\"'::jsonb", JSONB))
        return Scalar(
            is_string,
            is_number,
            node == literal_column("'true'::jsonb", JSONB),
            node == literal_column("'false'::jsonb", JSONB),
            present,
            text,
            number,
        )

    def fold(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.translate(text, _UPPER, _UPPER.lower())

    def is_numeric_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]:
        return and_(func.length(text) <= MAX_NUMERIC_TEXT, text.op("~", is_comparison=True)(r"^-?[0-9]+(\.[0-9]+)?$"))

    def is_digits_text(self, text: ColumnElement[Any]) -> ColumnElement[bool]:
        return and_(func.length(text) <= MAX_TIMESTAMP_TEXT, text.op("~", is_comparison=True)(r"^-?[0-9]+$"))

    def text_number(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(text, Float)

    def text_integer(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(text, BigInteger)

    def truncate(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.trunc(number)

    def number_text(self, number: ColumnElement[Any]) -> ColumnElement[Any]:
        # float8 prints the shortest text that reads back the same (extra_float_digits ≥ 1, the
        # default since PostgreSQL 12), as Python's repr() does.
        return case(
            (and_(number == func.trunc(number), func.abs(number) < MAX_WHOLE), cast(cast(number, BigInteger), String)),
            else_=cast(number, String),
        )

    def epoch(self, moment: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(func.floor(extract("epoch", moment)), BigInteger)

    def epoch_micros(self, moment: ColumnElement[Any]) -> ColumnElement[Any]:
        # extract() is exact numeric since PostgreSQL 14.
        return cast(extract("epoch", moment) * 1_000_000, BigInteger)

    def from_epoch_micros(self, micros: ColumnElement[Any]) -> ColumnElement[Any]:
        return literal_column("to_timestamp(0)") + cast(micros, BigInteger) * literal_column("interval '1 microsecond'")

_SQLITE = _Sqlite()
_POSTGRESQL = _Postgresql()
