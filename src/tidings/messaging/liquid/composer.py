"""Syntax errors in Customer.io's words, as its composer's "Review Errors" shows them.

The engine's own messages ("missing expression", "unexpected tag 'end'") are replaced by
Customer.io's: `if tag was never closed`, `Unknown tag 'coyotes'`, `Syntax Error in tag 'if' - Valid
syntax: if [expression]`, … This runs only after a parse has failed, so it costs nothing on the
path of a good template. It reads the template the way Customer.io's parser does, in order, and
names the first fault it meets; what it cannot place keeps the engine's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from liquid import Environment
from liquid.exceptions import LiquidError
from liquid.token import TOKEN_EXPRESSION, TOKEN_OUTPUT, TOKEN_TAG, Token

__all__ = ["composer_message", "unknown_filter"]

# Customer.io's parser splits a template like this; a `{{` or `{%` that does not close is a token
# of its own, and `{{ x }` (one brace) is taken up to its brace.
_DELIMITED = re.compile(r"\{%.*?%\}|\{\{.*?\}\}?|\{\{|\{%", re.S)

_BLOCKS = {
    "if": {"elsif", "else"},
    "unless": {"elsif", "else"},
    "case": {"when", "else"},
    "for": {"else"},
    "tablerow": set(),
    "capture": set(),
    "ifchanged": set(),
    "comment": set(),
}

_IF = "Syntax Error in tag 'if' - Valid syntax: if [expression]"
_SYNTAX = {
    "if": _IF,
    "elsif": _IF,
    "unless": "Syntax Error in tag 'unless' - Valid syntax: unless [expression]",
    "assign": "Syntax Error in tag 'assign' - Valid syntax: assign [var] = [source]",
    "capture": "Syntax Error in tag 'capture' - Valid syntax: capture [var]",
    "case": "Syntax Error in 'case' - Valid syntax: case [condition]",
    "when": "Syntax Error in tag 'case' - Valid when condition: {% when [condition] [or condition2...] %}",
    "cycle": "Syntax Error in 'cycle' - Valid syntax: cycle [name :] var [, var2, var3 …]",
    "for": "Syntax Error in 'for loop' - Valid syntax: for [item] in [collection]",
    "tablerow": "Syntax Error in 'tablerow loop' - Valid syntax: tablerow [item] in [collection] cols=3",
}
_CASE_ELSE = "Syntax Error in tag 'case' - Valid else condition: {% else %} (no parameters)"


def composer_message(env: Environment, source: str, error: LiquidError) -> str:
    """Customer.io's text for the syntax error `error` that parsing `source` raised."""
    return _delimiter_fault(source) or _tag_fault(env, source) or _engine_message(error)


def unknown_filter(env: Environment, names: Iterable[str]) -> str | None:
    """`Unknown filter 'x'` for the first name the environment has no filter for."""
    for name in names:
        if name not in env.filters:
            return f"Unknown filter '{name}'"
    return None


def _engine_message(error: LiquidError) -> str:
    message = str(error.message or error.__class__.__name__)
    if message.startswith("unknown filter"):
        return "Unknown filter" + message[len("unknown filter") :]
    return message[:1].upper() + message[1:]


def _delimiter_fault(source: str) -> str | None:
    for match in _DELIMITED.finditer(source):
        text = match.group()
        if text.startswith("{%") and not text.endswith("%}"):
            return "Tag '{%' was not properly terminated with regexp: /\\%}/"
        if text.startswith("{{") and not text.endswith("}}"):
            return f"Variable {text} was not properly terminated with regexp: /}}}}/"
    return None


def _tag_fault(env: Environment, source: str) -> str | None:
    try:
        tokens = list(env.tokenizer()(source))
    except LiquidError:
        return None
    stack: list[str] = []
    for index, token in enumerate(tokens):
        if token.kind == TOKEN_OUTPUT:
            continue
        if token.kind != TOKEN_TAG:
            continue
        name = token.value
        expression = _expression_after(tokens, index)
        top = stack[-1] if stack else None
        if top is not None and name == f"end{top}":
            stack.pop()
            continue
        if name == "end" and top is not None:
            return f"'end' is not a valid delimiter for {top} tags. use end{top}"
        if top is not None and name in _BLOCKS[top]:
            fault = _inner_fault(env, top, name, expression)
            if fault:
                return fault
            continue
        if name == "else" and top is not None:
            return f"{top} tag does not expect else tag"
        if name not in env.tags or name in ("elsif", "when", "else") or name.startswith("end"):
            return f"Unknown tag '{name}'"
        fault = _own_fault(env, name, expression)
        if fault:
            return fault
        if name in _BLOCKS:
            stack.append(name)
    if stack:
        return f"{stack[-1]} tag was never closed"
    return None


def _expression_after(tokens: list[Token], index: int) -> str:
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return following.value if following is not None and following.kind == TOKEN_EXPRESSION else ""


def _inner_fault(env: Environment, block: str, name: str, expression: str) -> str | None:
    if name == "else":
        return _CASE_ELSE if block == "case" and expression.strip() else None
    if name == "elsif":
        return _fails(env, f"{{% if true %}}{{% elsif {expression} %}}{{% endif %}}", "elsif")
    return _fails(env, f"{{% case x %}}{{% when {expression} %}}{{% endcase %}}", "when")


def _own_fault(env: Environment, name: str, expression: str) -> str | None:
    if name in ("comment", "liquid", "raw", "doc", "#"):
        return None
    if name == "cycle":
        return _fails(env, f"{{% for x in y %}}{{% cycle {expression} %}}{{% endfor %}}", name)
    if name in _BLOCKS:
        inner = "{% when 1 %}" if name == "case" else ""
        return _fails(env, f"{{% {name} {expression} %}}{inner}{{% end{name} %}}", name)
    if name in ("break", "continue"):
        return None
    return _fails(env, f"{{% {name} {expression} %}}", name)


def _fails(env: Environment, probe: str, name: str) -> str | None:
    try:
        env.from_string(probe)
    except LiquidError as error:
        return _SYNTAX.get(name) or _engine_message(error)
    return None
