"""Customer.io's own Liquid tags: unsubscribe and preference links, tracked links, nested Liquid.

Each writes what Customer.io's does; URLs come from the render context's `Links` and its delivery
id (`unsent` in previews). Options are written `name:value` or `name=value`, quoted or not:
`{% cio_link url:https://example.com track:false %}`, `{% unsubscribe_url lang='fr' %}`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from io import StringIO
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlencode

from liquid import Node, Tag, TokenStream
from liquid.builtin.expressions import FilteredExpression
from liquid.exceptions import LiquidError, LiquidSyntaxError
from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG, Token

from tidings.messaging.liquid.links import add_query, preferences_url, unsubscribe_url, view_in_browser_url
from tidings.messaging.liquid.missing import MissingValue, StrictContext
from tidings.messaging.liquid.output import to_output

if TYPE_CHECKING:
    from liquid import Environment
    from liquid.expression import Expression

__all__ = ["CUSTOMER_IO_TAGS", "register_tags"]

# A value is quoted, or runs to the next space; Liquid inside it (`{{ n }}`) may hold spaces.
_OPTION = re.compile(r"""(\w+)\s*[:=]\s*("[^"]*"|'[^']*'|(?:\{\{.*?\}\}|\S)+)""")
_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*")
_SEGMENT = re.compile(r"[A-Za-z_][\w-]*|\d+")


class _Option:
    """One `name:value` option: a literal (quoted, `true`/`false`, or a bare URL) or a path."""

    __slots__ = ("literal", "path", "token")

    def __init__(self, raw: str, *, token: Token, is_text: bool) -> None:
        self.token = token
        self.path: list[object] | None = None
        self.literal: object = raw
        if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2:
            self.literal = raw[1:-1]
        elif raw in ("true", "false"):
            self.literal = raw == "true"
        elif not is_text and _PATH.fullmatch(raw):
            self.path = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(raw)]

    def value(self, context: StrictContext) -> object:
        if self.path is None:
            return self.literal
        value = context.get(self.path, token=self.token)
        if isinstance(value, MissingValue):
            raise value.fail()
        return value


class _OptionsNode(Node):
    """A tag with `name:value` options; subclasses write their output from them."""

    __slots__ = ("options",)
    tag_name = ""

    def __init__(self, token: Token, options: dict[str, _Option]) -> None:
        super().__init__(token)
        self.options = options
        self.blank = False

    def __str__(self) -> str:
        return f"{{% {self.tag_name} %}}"

    def option(self, context: StrictContext, name: str, default: object = None) -> object:
        option = self.options.get(name)
        return default if option is None else option.value(context)

    def text_option(self, context: StrictContext, name: str) -> str | None:
        value = self.option(context, name)
        return None if value is None else to_output(value)

    async def render_to_output_async(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return self.render_to_output(context, buffer)


class _OptionsTag(Tag):
    block = False
    node_class: type[_OptionsNode] = _OptionsNode
    text_options: frozenset[str] = frozenset()

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        stream.expect(TOKEN_TAG)
        options: dict[str, _Option] = {}
        if stream.peek.kind == TOKEN_EXPRESSION:
            next(stream)
            expression = stream.current
            text = expression.value
            for match in _OPTION.finditer(text):
                name, raw = match.group(1), match.group(2)
                options[name] = _Option(raw, token=expression, is_text=name in self.text_options)
            leftover = _OPTION.sub("", text).strip()
            if leftover:
                raise LiquidSyntaxError(f"unexpected '{leftover}' in {self.name} tag", token=expression)
        return self.node_class(token, options)


class _UnsubscribeUrlNode(_OptionsNode):
    __slots__ = ()
    tag_name = "unsubscribe_url"

    def url(self, context: StrictContext) -> str:
        state = context.state
        state.has_unsubscribe_link = True
        lang = self.text_option(context, "lang")
        return unsubscribe_url(state.links(self.tag_name), state.context.delivery_id, lang=lang)

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return buffer.write(self.url(context))


class _UnsubscribeNode(_UnsubscribeUrlNode):
    """`{% unsubscribe %}`: a ready-made, untracked "Unsubscribe" link."""

    __slots__ = ()
    tag_name = "unsubscribe"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return buffer.write(f'<a href="{self.url(context)}" class="untracked">Unsubscribe</a>')


class _PreferencesUrlNode(_OptionsNode):
    __slots__ = ()
    tag_name = "manage_subscription_preferences_url"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        state = context.state
        lang = self.text_option(context, "lang")
        url = preferences_url(state.links(self.tag_name), state.context.delivery_id, lang=lang)
        return buffer.write(url)


class _ViewInBrowserUrlNode(_OptionsNode):
    __slots__ = ()
    tag_name = "view_in_browser_url"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        state = context.state
        state.has_view_in_browser = True
        return buffer.write(view_in_browser_url(state.links(self.tag_name), state.context.delivery_id))


class _ViewInBrowserNode(_OptionsNode):
    """`{% view_in_browser %}` writes nothing; it asks for the hosted copy of the email."""

    __slots__ = ()
    tag_name = "view_in_browser"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        context.state.has_view_in_browser = True
        return 0


class _CioLinkNode(_OptionsNode):
    """`{% cio_link url:… track:… url_params:… %}`: the URL with workspace parameters, tracked.

    A tracked link is `Links.tracker`'s click URL, numbered in render order from 0; the email's
    link tracker later leaves it as it is.
    """

    __slots__ = ()
    tag_name = "cio_link"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        state = context.state
        links = state.links(self.tag_name)
        href = self.text_option(context, "url")
        if not href:
            raise LiquidError("cio_link needs a url, e.g. {% cio_link url:https://example.com %}", token=self.token)
        if "{{" in href or "{%" in href:
            href = _render_inline(context, href)
        if not href.startswith(("http://", "https://")):
            return buffer.write(href)
        if self.option(context, "url_params", True) is not False and links.url_parameters:
            if state.url_query is None:  # the same for every link of the render: build it once
                state.url_query = urlencode(_url_parameters(context, links.url_parameters))
            href = add_query(href, state.url_query)
        if self.option(context, "track", links.is_click_tracking) is False:
            return buffer.write(href)
        position = state.link_count
        state.link_count += 1
        tracker = state.tracker(self.tag_name)
        return buffer.write(tracker.click_url(href, delivery_id=state.context.delivery_id, position=position))


class _CioLinkIdNode(_OptionsNode):
    """`{% cio_link_id %}`: a signed link id an app posts to `/click/<id>` (universal links).

    The id is a click token without a target (`LinkTracker.link_id`), numbered with the tracked links.
    """

    __slots__ = ()
    tag_name = "cio_link_id"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        state = context.state
        position = state.link_count
        state.link_count += 1
        tracker = state.tracker(self.tag_name)
        return buffer.write(tracker.link_id(delivery_id=state.context.delivery_id, position=position))


class _RandomNode(_OptionsNode):
    """`{% random N %}`: a whole number from 0 to N, both included.

    Decision: Customer.io's snippet example compares `{% random 3 %}` against versions "0" to "3",
    so N is reachable.
    """

    __slots__ = ("upper",)
    tag_name = "random"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return buffer.write(str(context.state.rng().randint(0, self.upper)))


class _RandomTag(Tag):
    name = "random"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        stream.expect(TOKEN_TAG)
        text = ""
        if stream.peek.kind == TOKEN_EXPRESSION:
            next(stream)
            text = stream.current.value.strip()
        if not text.isdigit():
            raise LiquidSyntaxError("Syntax Error in 'random' - Valid syntax: random [number]", token=token)
        node = _RandomNode(token, {})
        node.upper = int(text)
        return node


class _GenerateUuidNode(_OptionsNode):
    __slots__ = ()
    tag_name = "generate_uuid"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return buffer.write(str(uuid.UUID(int=context.state.rng().getrandbits(128), version=4)))


class _SubscriptionTopicNameNode(_OptionsNode):
    """`{% subscription_topic_name %}`: the message's topic name, empty when it has none."""

    __slots__ = ()
    tag_name = "subscription_topic_name"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        message = context.state.context.message
        topic = message.subscription_topic if message else None
        return buffer.write(topic.name if topic else "")


class _RenderLiquidNode(Node):
    """`{% render_liquid journey.body %}`: render Liquid stored in a value, with this render's data."""

    __slots__ = ("expression",)

    def __init__(self, token: Token, expression: Expression) -> None:
        super().__init__(token)
        self.expression = expression
        self.blank = False

    def __str__(self) -> str:
        return f"{{% render_liquid {self.expression} %}}"

    def render_to_output(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        source = to_output(self.expression.evaluate(context))
        template = context.env.parse_cached(source)  # type: ignore[attr-defined]
        written = 0
        for node in template.nodes:
            written += node.render(context, buffer)
        return written

    async def render_to_output_async(self, context: StrictContext, buffer: TextIO) -> int:  # type: ignore[override]
        return self.render_to_output(context, buffer)

    def expressions(self) -> list[Expression]:
        return [self.expression]


class _RenderLiquidTag(Tag):
    name = "render_liquid"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        return _RenderLiquidNode(token, FilteredExpression.parse(self.env, stream.into_inner(tag=token, eat=False)))


def _render_inline(context: StrictContext, source: str) -> str:
    """Render a Liquid fragment (a link, a URL parameter value) in the current render."""
    buffer = StringIO()
    for node in context.env.parse_cached(source).nodes:  # type: ignore[attr-defined]
        node.render(context, buffer)
    return buffer.getvalue()


def _url_parameters(context: StrictContext, parameters: Mapping[str, str]) -> list[tuple[str, str]]:
    # Customer.io: "Empty liquid variables aren't valid" — a parameter that renders empty fails.
    pairs = []
    for name, source in parameters.items():
        value = _render_inline(context, source)
        if not value:
            raise LiquidError(f"URL parameter '{name}' rendered empty", token=None)
        pairs.append((name, value))
    return pairs


def _options_tag(tag_name: str, node: type[_OptionsNode], *, text: frozenset[str] = frozenset()) -> type[Tag]:
    return type(f"_{node.__name__}Tag", (_OptionsTag,), {"name": tag_name, "node_class": node, "text_options": text})


CUSTOMER_IO_TAGS: tuple[type[Tag], ...] = (
    _options_tag("unsubscribe", _UnsubscribeNode),
    _options_tag("unsubscribe_url", _UnsubscribeUrlNode),
    _options_tag("manage_subscription_preferences_url", _PreferencesUrlNode),
    _options_tag("view_in_browser_url", _ViewInBrowserUrlNode),
    _options_tag("view_in_browser", _ViewInBrowserNode),
    _options_tag("cio_link", _CioLinkNode, text=frozenset({"url"})),
    _options_tag("cio_link_id", _CioLinkIdNode),
    _options_tag("generate_uuid", _GenerateUuidNode),
    _options_tag("subscription_topic_name", _SubscriptionTopicNameNode),
    _RandomTag,
    _RenderLiquidTag,
)
"""Tag classes to register on an environment (`Environment.add_tag`)."""


def register_tags(env: Environment) -> None:
    """Add Customer.io's tags to an engine environment."""
    for tag in CUSTOMER_IO_TAGS:
        env.add_tag(tag)
