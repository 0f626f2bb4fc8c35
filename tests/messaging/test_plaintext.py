"""The generated text alternative of HTML emails."""

from __future__ import annotations

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


def test_table_layouts_become_lines_not_gaps() -> None:
    html = "<table><tr><td><div>Order</div></td><td>#1</td></tr><tr><td>Total</td><td>$5</td></tr></table>"

    assert html_to_text(html) == "Order\n#1\nTotal $5\n"


def test_preformatted_text_keeps_its_spaces() -> None:
    assert html_to_text("<pre>  a\n    b</pre>") == "  a\n    b\n"


def test_empty_and_text_only_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("just   text") == "just text\n"
