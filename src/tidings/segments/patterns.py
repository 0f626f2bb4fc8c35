"""The string pattern syntax of contains and of event names (spec §3.3).

In `contains` / `does_not_contain`: `|` separates alternatives, `+` joins terms that must all
appear, `*` stands for any characters, and `\\` makes the next character literal. Matching is
unanchored and case-insensitive: `si*` matches "reside", `person+gmail` needs both words.

In event, page and screen names: `|` separates alternatives and `+` is literal. An alternative
with a `*` matches names containing it (`s*n` matches "lesson", as Customer.io's docs show);
one without matches the whole name, so `purchase` does not match "purchase_refund".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tidings.segments.values import fold

__all__ = ["Pattern", "PatternError", "Term", "is_name_match", "parse_name_pattern", "parse_pattern"]


class PatternError(ValueError):
    """A pattern with an empty alternative or term."""


@dataclass(frozen=True, slots=True)
class Term:
    """Literal pieces (folded) that must appear in order; `*` separated them. `is_exact` terms
    match the whole string instead (names without a wildcard)."""

    pieces: tuple[str, ...]
    is_exact: bool = False

    def matches(self, folded: str) -> bool:
        if self.is_exact:
            return folded == self.pieces[0]
        position = 0
        for piece in self.pieces:
            found = folded.find(piece, position)
            if found < 0:
                return False
            position = found + len(piece)
        return True


@dataclass(frozen=True, slots=True)
class Pattern:
    """Alternatives, each a conjunction of terms."""

    alternatives: tuple[tuple[Term, ...], ...]

    def matches(self, text: str) -> bool:
        folded = fold(text)
        for terms in self.alternatives:
            if all(term.matches(folded) for term in terms):
                return True
        return False


@lru_cache(maxsize=4096)
def parse_pattern(text: str) -> Pattern:
    """The contains pattern `text` means; PatternError if an alternative or term is empty."""
    alternatives = []
    for alternative in _split(_tokens(text), "|"):
        terms = []
        for term in _split(alternative, "+"):
            if not term:
                raise PatternError(f"{text!r} has an empty term; escape a literal + or | as \\+ or \\|")
            terms.append(Term(tuple(_literal(piece) for piece in _split(term, "*"))))
        alternatives.append(tuple(terms))
    return Pattern(tuple(alternatives))


@lru_cache(maxsize=4096)
def parse_name_pattern(text: str) -> Pattern:
    """The event-name pattern `text` means: `|` alternatives, `*` wildcards, `+` literal."""
    alternatives = []
    for alternative in _split(_tokens(text), "|"):
        if not alternative:
            raise PatternError(f"{text!r} has an empty alternative; escape a literal | as \\|")
        pieces = tuple(_literal(piece) for piece in _split(alternative, "*"))
        alternatives.append((Term(pieces, is_exact=len(pieces) == 1),))
    return Pattern(tuple(alternatives))


@lru_cache(maxsize=65536)
def is_name_match(pattern: str, name: str) -> bool:
    """Whether event-name pattern `pattern` matches `name`; remembered, as a person's few event
    names meet the same patterns on every evaluation."""
    return parse_name_pattern(pattern).matches(name)


def _tokens(text: str) -> list[str]:
    """Characters, with an escaped one kept as a two-character token so no level splits on it."""
    tokens, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            tokens.append(text[i : i + 2])
            i += 2
        else:
            tokens.append(text[i])
            i += 1
    return tokens


def _split(tokens: list[str], separator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _literal(tokens: list[str]) -> str:
    """The folded text of tokens, escapes removed (a trailing lone backslash stays literal)."""
    return fold("".join(token[-1] for token in tokens))
