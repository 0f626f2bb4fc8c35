"""The generated text alternative of HTML emails."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tidings.messaging import html_to_text


def test_paragraphs_lines_and_lists_keep_their_shape() -> None:
    html = "<h1>Welcome</h1><p>Hi <b>Ann</b>,<br>line two &amp; more</p><ul><li>one</li><li>two</li></ul><p>Bye</p>"

    assert html_to_text(html) == "Welcome\n\nHi Ann,\nline two & more\n\n- one\n- two\n\nBye\n"


def test_links_show_their_target_after_their_words() -> None:
    html = (
        '<p><a href="https://example.com/a">Read more</a> or <a href="https://example.com">https://example.com</a>'
        ' or <a href="mailto:help@example.com">write</a></p>'
    )

    assert html_to_text(html) == "Read more (https://example.com/a) or https://example.com or write\n"


def test_what_readers_never_see_is_dropped() -> None:
    html = (
        "<html><head><title>T</title><style>p { color: red }</style></head><body>"
        '<div style="display: none">hidden preheader</div><!-- note --><script>var x = "<p>";</script>'
        "<p>Shown&nbsp;text&zwnj;</p></body></html>"
    )

    assert html_to_text(html) == "Shown text\n"


def test_the_doctype_is_not_text() -> None:
    assert html_to_text("<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>") == "Hi\n"


def test_table_layouts_become_lines_not_gaps() -> None:
    html = "<table><tr><td><div>Order</div></td><td>#1</td></tr><tr><td>Total</td><td>$5</td></tr></table>"

    assert html_to_text(html) == "Order\n#1\nTotal $5\n"


def test_preformatted_text_keeps_its_spaces() -> None:
    assert html_to_text("<pre>  a\n    b</pre>") == "  a\n    b\n"


def test_empty_and_text_only_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("just   text") == "just text\n"


def test_control_characters_in_the_html_cannot_forge_layout() -> None:
    assert html_to_text("a\x00b\x01c\x02d\x03e") == "abcde\n"


@given(
    st.lists(
        st.sampled_from(
            ["<p>", "</p>", "<div style='display:none'>", "</div>", "<a href='https://x.example'>", "</a>", "<pre>",
             "</pre>", "<br>", "<li>", "<td>", "<!--", "-->", "<style>", "</style>", "<", ">", "&amp;", " ", "\n",
             "word", "\x00", "\xa0"]
        )
    ).map("".join)
)
def test_any_markup_gives_clean_text(html: str) -> None:
    text = html_to_text(html)

    assert not any(marker in text for marker in "\x00\x01\x02\x03")
    assert text == "" or (text.endswith("\n") and not text.endswith("\n\n"))
    assert "\n\n\n" not in text
