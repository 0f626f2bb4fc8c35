"""The Liquid environment: Customer.io's namespaces, tags, filters and failure rules on python-liquid.

A template is parsed once and kept (templates are rendered for thousands of deliveries); each
render builds a small namespace from a `RenderContext` and fails with `RenderFailed`, carrying
Customer.io's text, when Liquid does not evaluate. Parsing errors raise `TemplateInvalid` with the
composer's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from io import StringIO
from threading import Lock

from liquid import BoundTemplate, Environment, Mode
from liquid.builtin.tags.echo_tag import EchoTag
from liquid.exceptions import LiquidError, UnknownFilterError

from tidings.messaging.errors import RenderFailed, TemplateInvalid
from tidings.messaging.liquid.composer import composer_message, unknown_filter
from tidings.messaging.liquid.filters import register_filters
from tidings.messaging.liquid.missing import MissingValue, StrictContext, rewrite_blank
from tidings.messaging.liquid.output import RubyOutput, RubyOutputNode
from tidings.messaging.liquid.snippets import SnippetsDrop, parse_snippet
from tidings.messaging.liquid.state import RenderState
from tidings.messaging.liquid.tags import register_tags
from tidings.messaging.liquid.types import LiquidVersion, RenderContext

__all__ = [
    "LiquidEnvironment",
    "RenderedEmail",
    "liquid_environment",
    "render_email_body",
    "render_template",
    "validate_layout",
    "validate_template",
]

_CONTENT_SLOT = re.compile(r"\{\{-?\s*content\s*-?\}\}")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """An email body wrapped in its layout, and what the sender must know about it.

    `has_unsubscribe_link`: the text links to the delivery's unsubscribe page (Customer.io then
    adds the List-Unsubscribe header). `has_view_in_browser`: a hosted copy must be kept.
    """

    html: str
    has_unsubscribe_link: bool
    has_view_in_browser: bool


class _EchoNode(RubyOutputNode):
    __slots__ = ()

    def __str__(self) -> str:
        return f"{{% echo {self.expression} %}}"


class _Echo(EchoTag):
    node_class = _EchoNode


class _Engine(Environment):
    """python-liquid configured as one Customer.io Liquid version, with a parsed-template cache."""

    def __init__(self, version: LiquidVersion, *, cache_size: int) -> None:
        # Legacy Liquid ignores unknown filters (the version-detection idiom relies on it).
        super().__init__(
            undefined=MissingValue,
            strict_filters=version is LiquidVersion.LATEST,
            tolerance=Mode.STRICT,
        )
        self.version = version
        self._cache: dict[str, BoundTemplate] = {}
        self._snippets: dict[str, object | None] = {}
        self._cache_size = cache_size
        self._lock = Lock()
        for name in ("include", "render"):  # no template loader: snippets are the way to share
            self.tags.pop(name, None)
        if version is LiquidVersion.LEGACY:
            self.tags.pop("break", None)  # `break` is new in latest Liquid
        self.add_tag(RubyOutput)
        self.add_tag(_Echo)
        register_tags(self)
        register_filters(self, version)

    def _parse(self, source: str) -> list:  # type: ignore[type-arg]
        nodes = super()._parse(source)
        rewrite_blank(nodes)
        return nodes

    def parse_cached(self, source: str) -> BoundTemplate:
        """The parsed template for `source`, parsing it on first use; raises `TemplateInvalid`."""
        template = self._cache.get(source)
        if template is not None:
            return template
        try:
            template = self.from_string(source)
        except LiquidError as err:
            raise TemplateInvalid(composer_message(self, source, err)) from None
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)), None)
            self._cache[source] = template
        return template

    def snippet_data(self, value: str) -> object | None:
        """The JSON a snippet value holds, parsed once (see `parse_snippet`)."""
        if value not in self._snippets:
            if len(self._snippets) >= self._cache_size:
                self._snippets.clear()
            self._snippets[value] = parse_snippet(value)
        return self._snippets[value]


class LiquidEnvironment:
    """Renders Customer.io Liquid for one version (latest or legacy). Safe to share between threads."""

    def __init__(self, version: LiquidVersion = LiquidVersion.LATEST, *, cache_size: int = 4096) -> None:
        self.version = version
        self._engine = _Engine(version, cache_size=cache_size)

    def validate(self, source: str) -> None:
        """Raise `TemplateInvalid` with Customer.io's composer text if `source` is not valid Liquid."""
        template = self._engine.parse_cached(source)
        if self.version is LiquidVersion.LATEST:
            fault = unknown_filter(self._engine, template.filter_names(include_partials=False))
            if fault:
                raise TemplateInvalid(fault)

    def render(self, source: str, context: RenderContext) -> str:
        """The text `source` renders to for `context`; raises `RenderFailed` (or `TemplateInvalid`)."""
        if "{" not in source:  # no tag and no output: the text as it is (a From address, a subject)
            return source
        state = RenderState(context)
        return self._render(self._engine.parse_cached(source), state, {})

    def render_email_body(self, layout: str | None, body: str, context: RenderContext) -> RenderedEmail:
        """Render `body`, then `layout` with the body in its `{{content}}` slot.

        Without a layout the body stands alone (Customer.io's default "plaintext" layout is just
        `{{content}}`). Links are numbered across both, body first.
        """
        state = RenderState(context)
        html = self._render(self._engine.parse_cached(body), state, {})
        if layout is not None:
            html = self._render(self._engine.parse_cached(layout), state, {"content": html})
        return RenderedEmail(
            html=html,
            has_unsubscribe_link=state.has_unsubscribe_link,
            has_view_in_browser=state.has_view_in_browser,
        )

    def _render(self, template: BoundTemplate, state: RenderState, extra: dict[str, object]) -> str:
        namespace = self._namespace(state, extra)
        try:
            return self._render_nodes(template, state, namespace)
        except UnknownFilterError as err:
            raise RenderFailed(composer_message(self._engine, "", err)) from None
        except LiquidError as err:
            raise RenderFailed(str(err.message)) from None
        except RecursionError:
            raise RenderFailed("Liquid nests too deeply (a snippet or render_liquid refers to itself)") from None

    def _render_nodes(self, template: BoundTemplate, state: RenderState, namespace: dict[str, object]) -> str:
        context = StrictContext(template, globals=namespace)
        context.state = state
        buffer = StringIO()
        template.render_with_context(context, buffer)
        return buffer.getvalue()

    def _namespace(self, state: RenderState, extra: dict[str, object]) -> dict[str, object]:
        context = state.context
        namespace: dict[str, object] = {"delivery_id": context.delivery_id}
        for name in ("customer", "event", "trigger", "journey", "objects", "campaign", "message", "layout"):
            value = getattr(context, name)
            if value is not None:
                namespace[name] = value
        if context.event_name is not None:
            namespace["event_name"] = context.event_name
        if context.event_id is not None:
            namespace["event_id"] = context.event_id
        if context.event_timestamp is not None:
            namespace["event_timestamp"] = context.event_timestamp
        namespace.update(extra)
        if context.snippets:
            namespace["snippets"] = SnippetsDrop(
                context.snippets,
                render_text=lambda text: self._render_nodes(self._engine.parse_cached(text), state, namespace),
                parse=self._engine.snippet_data,
            )
        return namespace


@cache
def liquid_environment(version: LiquidVersion = LiquidVersion.LATEST) -> LiquidEnvironment:
    """The process's shared environment for `version`.

    Parsed templates depend only on their source, so one cache per version serves every workspace
    and thread; that is why this is shared rather than built per caller.
    """
    return LiquidEnvironment(version)


def render_template(
    source: str, context: RenderContext, *, version: LiquidVersion = LiquidVersion.LATEST
) -> str:
    """Render any Liquid field (subject, body, SMS text, webhook body…) for one delivery.

    Raises `RenderFailed` with Customer.io's text, e.g. `Variable 'customer.first_name' is missing`,
    and `TemplateInvalid` if the source does not parse.
    """
    return liquid_environment(version).render(source, context)


def validate_template(source: str, *, version: LiquidVersion = LiquidVersion.LATEST) -> None:
    """Raise `TemplateInvalid` with Customer.io's composer text unless `source` is valid Liquid."""
    liquid_environment(version).validate(source)


def validate_layout(source: str, *, version: LiquidVersion = LiquidVersion.LATEST) -> None:
    """Like `validate_template`, and a layout must have its `{{content}}` slot."""
    validate_template(source, version=version)
    if not _CONTENT_SLOT.search(source):
        raise TemplateInvalid("layout must include {{content}}")


def render_email_body(
    layout: str | None,
    body: str,
    context: RenderContext,
    *,
    version: LiquidVersion = LiquidVersion.LATEST,
) -> RenderedEmail:
    """Render an email's body into its layout; see `LiquidEnvironment.render_email_body`."""
    return liquid_environment(version).render_email_body(layout, body, context)
