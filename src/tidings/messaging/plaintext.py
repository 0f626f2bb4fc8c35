"""The text/plain alternative of an HTML email, when the author gave none.

Clients that cannot or will not show HTML, spam filters and Gmail's search read this part, so it
keeps the words, the line structure and the link targets, and drops what a reader never sees
(`<head>`, `<style>`, `<script>`, comments and hidden preheaders).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# Paragraph-like elements end with a blank line; line-like ones (nested layout divs, table rows, list
# items) with a single line break, so table-built emails don't turn into a column of gaps.
_PARAGRAPHS = frozenset("blockquote dl fieldset figure form h1 h2 h3 h4 h5 h6 hr ol p table ul".split())
_LINES = frozenset(
    "address article aside center dd details div dt figcaption footer header li main nav section summary "
    "tbody thead tfoot tr".split()
)
_SKIPPED = frozenset({"head", "style", "script", "title", "template", "noscript"})
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Readable plain text for `html`: paragraphs on their own lines, list items with a dash, and a
    link's target in parentheses after its words when they differ."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._line: list[str] = []
        self._skip_stack: list[str] = []
        self._pre = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_stack:
            if tag not in _VOID:
                self._skip_stack.append(tag)
            return
        style = next((value for name, value in attrs if name == "style"), None) or ""
        if tag in _SKIPPED or (tag not in _VOID and _HIDDEN.search(style)):
            self._skip_stack.append(tag)
            return
        if tag == "br":
            self._break()
        elif tag in _PARAGRAPHS:
            self._paragraph()
            if tag == "hr":
                self._line.append("----")
                self._paragraph()
        elif tag in _LINES:
            self._end_line()
            if tag == "li":
                self._line.append("- ")
        elif tag == "pre":
            self._paragraph()
            self._pre += 1
        elif tag == "a":
            href = next((value for name, value in attrs if name == "href"), None)
            self._links.append((href, len("".join(self._line))))
        elif tag in {"td", "th"} and self._line and not self._line[-1].endswith(" "):
            self._line.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self._skip_stack:
            self._break()
        elif tag not in _VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_stack:
            # Pop to the matching open tag, forgiving unclosed tags inside the skipped element.
            if tag in self._skip_stack:
                while self._skip_stack.pop() != tag:
                    pass
            return
        if tag in _PARAGRAPHS or tag == "pre":
            self._paragraph()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag in _LINES:
            self._end_line()
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            words = "".join(self._line)[start:].strip()
            if href and href.startswith(("http://", "https://")) and href != words:
                self._line.append(f" ({href})" if words else href)

    def handle_data(self, data: str) -> None:
        if self._skip_stack:
            return
        if self._pre:
            for number, part in enumerate(data.split("\n")):
                if number:
                    self._break()
                self._line.append(part)
            return
        text = _SPACES.sub(" ", data)
        if not self._line or "".join(self._line).endswith((" ", "\n")):
            text = text.lstrip(" ")
        if text:
            self._line.append(text)

    def _break(self) -> None:
        self._lines.append("".join(self._line).rstrip())
        self._line = []

    def _end_line(self) -> None:
        if "".join(self._line).strip():
            self._break()

    def _paragraph(self) -> None:
        self._end_line()
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def text(self) -> str:
        self._break()
        lines: list[str] = []
        for line in self._lines:
            # Collapse runs of blank lines that nested blocks leave behind.
            if line or (lines and lines[-1]):
                lines.append(line.replace("\xa0", " ").replace("\u200c", "").rstrip())
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + ("\n" if lines else "")
