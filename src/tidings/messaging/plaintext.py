"""The text/plain alternative of an HTML email, when the author gave none.

Clients that cannot or will not show HTML, spam filters and Gmail's search read this part, so it
keeps the words, the line structure and the link targets, and drops what a reader never sees
(`<head>`, `<style>`, `<script>`, comments and hidden preheaders).

It runs for every email sent without a text body, so it reads the HTML with one regular expression
over tags and text rather than `html.parser`, which was ten times slower on table-built emails.
"""

from __future__ import annotations

import re
from html import unescape

__all__ = ["html_to_text"]

# Paragraph-like elements end with a blank line; line-like ones (nested layout divs, table rows, list
# items) with a single line break, so table-built emails don't turn into a column of gaps.
_PARAGRAPHS = frozenset("blockquote dl fieldset figure form h1 h2 h3 h4 h5 h6 hr ol p table ul".split())
_LINES = frozenset(
    "address article aside center dd details div dt figcaption footer header li main nav section summary "
    "tbody thead tfoot tr".split()
)
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_TOKEN = re.compile(
    r"<!--.*?(?:--!?>|\Z)"
    r"|<![^>]*>"  # <!DOCTYPE html> and other declarations
    r"|<(?P<skipped>head|style|script|title|template|noscript)(?=[\t\n\f\r />])[^>]*>.*?(?:</(?P=skipped)\s*>|\Z)"
    r"|<(?P<end>/?)(?P<tag>[a-z][^\t\n\f\r />]*)"
    r"""(?P<attributes>(?:[^>"'=]+|=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]*)|["'])*+)>"""
    r"|(?P<text>[^<]+|<)",
    re.IGNORECASE | re.DOTALL,
)
_HREF = re.compile(r"""(?:^|[\t\n\f\r /])href[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]*))""", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
# Layout is recorded as marker characters between the words and resolved once at the end, which keeps
# the per-tag work small: end of line (if it has words), end of paragraph, forced break (<br>), and a
# space that must stay (inside <pre>). Input control characters of the same codes are dropped.
_LINE, _PARAGRAPH, _BREAK, _KEPT_SPACE = "\x00", "\x01", "\x02", "\x03"
_MARKERS = re.compile("([\x00\x01\x02])")
_MARKER_CHARACTERS = (_LINE, _PARAGRAPH, _BREAK, _KEPT_SPACE)
_PREFORMATTED = str.maketrans({"\n": _BREAK, " ": _KEPT_SPACE, "\t": _KEPT_SPACE})


def html_to_text(html: str) -> str:
    """Readable plain text for `html`: paragraphs on their own lines, list items with a dash, and a
    link's target in parentheses after its words when they differ."""
    parts: list[str] = []
    hidden: list[str] = []  # open elements styled display:none, innermost last
    links: list[tuple[str | None, int]] = []
    pre = 0
    # Tuples from findall rather than match objects: half the cost per token on table-built emails.
    for _, end, tag, attributes, text in _TOKEN.findall(_without_markers(html)):
        if text:
            if not hidden:
                words = unescape(text) if "&" in text else text
                parts.append(words.translate(_PREFORMATTED) if pre else words)
            continue
        if not tag:
            continue  # a comment, a declaration or a skipped element
        tag = tag.lower()
        if end:
            if hidden:
                if tag in hidden:
                    while hidden.pop() != tag:
                        pass
            elif tag in _PARAGRAPHS:
                parts.append(_PARAGRAPH)
            elif tag in _LINES:
                parts.append(_LINE)
            elif tag == "pre":
                parts.append(_PARAGRAPH)
                pre = max(0, pre - 1)
            elif tag == "a" and links:
                href, start = links.pop()
                words = _SPACES.sub(" ", _without_markers("".join(parts[start:]))).strip()
                if href and href.startswith(("http://", "https://")) and href != words:
                    parts.append(f" ({href})" if words else href)
            continue
        is_self_closing = attributes.endswith("/")
        if hidden:
            if tag not in _VOID and not is_self_closing:
                hidden.append(tag)
        elif tag not in _VOID and "display" in attributes and _HIDDEN.search(attributes):
            if not is_self_closing:
                hidden.append(tag)
        elif tag == "br":
            parts.append(_BREAK)
        elif tag in _PARAGRAPHS:
            parts.append(_PARAGRAPH + "----" + _PARAGRAPH if tag == "hr" else _PARAGRAPH)
        elif tag in _LINES:
            parts.append(_LINE + "- " if tag == "li" else _LINE)
        elif tag == "pre":
            parts.append(_PARAGRAPH)
            pre += 1
        elif tag == "a" and not is_self_closing:
            href = _HREF.search(attributes)
            value = next((group for group in href.groups() if group is not None), None) if href else None
            links.append((unescape(value) if value and "&" in value else value, len(parts)))
        elif tag in {"td", "th"}:
            parts.append(" ")
    return _layout("".join(parts))


def _without_markers(text: str) -> str:
    # Not str.translate: with a table it costs a dictionary look-up per character, which took most
    # of the time on a 6 KB email; the characters are almost never there.
    for character in _MARKER_CHARACTERS:
        if character in text:
            text = text.replace(character, "")
    return text


def _layout(marked: str) -> str:
    pieces = _MARKERS.split(_SPACES.sub(" ", marked))
    lines: list[str] = []
    line = pieces[0]
    # Text and markers alternate (text, marker, text, ..., text), so each step takes one of each.
    for marker, following in zip(pieces[1::2], pieces[2::2], strict=True):
        if marker == _BREAK:
            lines.append(line)
            line = following
            continue
        if line.strip():
            lines.append(line)
            line = following
        else:
            line += following
        if marker == _PARAGRAPH and lines and lines[-1]:
            lines.append("")
    lines.append(line)
    # Without kept spaces, no-break spaces or zero-width non-joiners, a line needs no replacing.
    is_plain = _KEPT_SPACE not in marked and "\xa0" not in marked and "\u200c" not in marked
    text: list[str] = []
    for raw in lines:
        if is_plain:
            cleaned = raw.lstrip(" ").rstrip()
        else:
            cleaned = raw.strip(" ").replace(_KEPT_SPACE, " ").replace("\xa0", " ").replace("\u200c", "")
            cleaned = cleaned.rstrip()
        # Collapse runs of blank lines that nested blocks leave behind.
        if cleaned or (text and text[-1]):
            text.append(cleaned)
    while text and not text[-1]:
        text.pop()
    return "\n".join(text) + ("\n" if text else "")
