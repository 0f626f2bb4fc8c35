"""Tracked links and the open pixel: what is rewritten, what is left alone, and that tokens hold."""

from __future__ import annotations

import base64
import dataclasses
import hmac
import re
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.errors import InvalidInput
from tidings.messaging import ClickTarget, InvalidTrackingToken, LinkTracker, OutboundEmail, PreferencesAccess, token_workspace_id

BASE = "https://t.example.com"
SECRET = b"tracking-secret-0123456789"
DELIVERY = "RPILAgABcRhIBqSp7kiPekGBIeVh"
CLICK = re.compile(r'href="https://t\.example\.com/click/([A-Za-z0-9_.-]+)"')
OPEN = re.compile(r'<img src="https://t\.example\.com/open/([A-Za-z0-9_.-]+)" width="1" height="1" alt=""')

tracker = LinkTracker(BASE, SECRET)


def clicks(html: str, *, using: LinkTracker = tracker) -> list[ClickTarget]:
    return [using.verify_click(token) for token in CLICK.findall(html)]


def urls(html: str) -> list[str]:
    return [click.url for click in clicks(html)]


class TestRewrite:
    def test_link_becomes_a_signed_click_url_that_verifies_to_the_target(self) -> None:
        html = tracker.rewrite('<p><a href="https://shop.example.com/o/1?a=1&amp;b=2">Order</a></p>', delivery_id=DELIVERY)

        assert clicks(html) == [ClickTarget(delivery_id=DELIVERY, url="https://shop.example.com/o/1?a=1&b=2", position=0)]
        assert ">Order</a></p>" in html

    def test_attributes_in_any_order_and_any_quoting(self) -> None:
        html = (
            "<a class=button href='https://a.example/1' style=\"color:red\">1</a>"
            '<A TITLE="x > y" HREF=https://a.example/2 data-cio-tag=reset>2</A>'
            '<a\nhref = "https://a.example/3"\n>3</a>'
            '<a target="_blank"href="https://a.example/4">4</a>'
        )

        rewritten = tracker.rewrite(html, delivery_id=DELIVERY)

        assert [(c.url, c.position, c.tag) for c in clicks(rewritten)] == [
            ("https://a.example/1", 0, None),
            ("https://a.example/2", 1, "reset"),
            ("https://a.example/3", 2, None),
            ("https://a.example/4", 3, None),
        ]
        assert "<a class=button href=\"https://t.example.com/click/" in rewritten
        assert "style=\"color:red\">1</a>" in rewritten
        assert '<A TITLE="x > y" href="https://t.example.com/click/' in rewritten
        assert " data-cio-tag=reset>2</A>" in rewritten

    def test_first_of_repeated_href_wins(self) -> None:
        html = tracker.rewrite('<a href="https://first.example" href="https://second.example">x</a>', delivery_id=DELIVERY)

        assert urls(html) == ["https://first.example"]
        assert 'href="https://second.example"' in html

    @pytest.mark.parametrize(
        "href",
        ["mailto:ann@example.com", "tel:+15551234567", "#top", "/relative/path", "javascript:alert(1)",
         "//cdn.example.com/x", "", "{% unsubscribe_url %}", "ftp://files.example.com"],
    )
    def test_links_without_an_http_protocol_are_left_alone(self, href: str) -> None:
        html = f'<a href="{href}">x</a>'

        assert tracker.rewrite(html, delivery_id=DELIVERY).startswith(html)

    @pytest.mark.parametrize("classes", ["untracked", "btn untracked", "untracked\tbig", " untracked "])
    def test_untracked_class_leaves_the_link_alone(self, classes: str) -> None:
        html = f'<a class="{classes}" href="https://reset.example/t/123">Reset</a>'

        assert tracker.rewrite(html, delivery_id=DELIVERY).startswith(html)

    @pytest.mark.parametrize("classes", ["untracked-link", "Untracked", "btn"])
    def test_other_classes_do_not(self, classes: str) -> None:
        html = tracker.rewrite(f'<a class="{classes}" href="https://x.example">x</a>', delivery_id=DELIVERY)

        assert urls(html) == ["https://x.example"]

    def test_links_are_not_tracked_twice(self) -> None:
        once = tracker.rewrite('<a href="https://x.example">x</a>', delivery_id=DELIVERY)

        assert urls(tracker.rewrite(once, delivery_id=DELIVERY)) == ["https://x.example"]

    def test_links_in_comments_scripts_and_styles_are_left_alone(self) -> None:
        html = (
            '<!-- <a href="https://c.example">c</a> --><script>var a = \'<a href="https://s.example">\';</script>'
            "<style>a[href^='https://st.example'] { color: red }</style><title><a href=https://ti.example></title>"
            '<a href="https://real.example">real</a>'
        )

        assert urls(tracker.rewrite(html, delivery_id=DELIVERY)) == ["https://real.example"]

    def test_a_inside_text_is_not_an_anchor(self) -> None:
        html = '<p>if x <abbr>is</abbr> 1<area href="https://area.example"> and a<b then</p><a href="https://x.example">x</a>'

        assert urls(tracker.rewrite(html, delivery_id=DELIVERY)) == ["https://x.example"]

    def test_unterminated_tag_leaves_the_rest_alone(self) -> None:
        html = '<a href="https://x.example">x</a> and then <a href="https://never.example" ' + "text " * 1000

        rewritten = tracker.rewrite(html, delivery_id=DELIVERY)

        assert urls(rewritten) == ["https://x.example"]
        assert html.split("</a>", 1)[1] in rewritten


    @pytest.mark.parametrize("piece", ["<x ", "<a ", '<a href="', '<p =" ', "<!--", "<script ", "< "])
    def test_unclosed_markup_repeated_is_scanned_once(self, piece: str) -> None:
        # Quadratic rescanning would make each of these take minutes instead of milliseconds.
        html = '<a href="https://x.example">x</a>' + piece * 50_000

        assert urls(tracker.rewrite(html, delivery_id=DELIVERY)) == ["https://x.example"]


class TestLinksTrackedAlready:
    def test_click_urls_are_kept_and_other_links_take_the_free_positions(self) -> None:
        # As `{% cio_link %}` writes them while rendering, numbered in render order from 0.
        deal = tracker.click_url("https://x.example/deal", delivery_id=DELIVERY, position=0)
        more = tracker.click_url("https://x.example/more", delivery_id=DELIVERY, position=2, tag="cta")
        html = (
            '<a href="https://a.example">a</a>'
            f'<a href="{deal}">deal</a><a href="https://b.example">b</a>'
            f"<a href={more}>more</a><a href='https://c.example'>c</a>"
        )

        rewritten = tracker.rewrite(html, delivery_id=DELIVERY)

        assert f'<a href="{deal}">deal</a>' in rewritten and f"<a href={more}>more</a>" in rewritten
        tokens = re.findall(r"""href=["']?https://t\.example\.com/click/([A-Za-z0-9_.-]+)""", rewritten)
        assert [(c.url, c.position) for c in map(tracker.verify_click, tokens)] == [
            ("https://a.example", 1),
            ("https://x.example/deal", 0),
            ("https://b.example", 3),
            ("https://x.example/more", 2),
            ("https://c.example", 4),
        ]

    def test_rewriting_a_rewritten_email_again_changes_no_link(self) -> None:
        quiet = LinkTracker(BASE, SECRET, track_opens=False)
        once = quiet.rewrite('<a href="https://a.example">a</a>', delivery_id=DELIVERY)

        assert quiet.rewrite(once, delivery_id=DELIVERY) == once

    def test_click_url_of_another_secret_is_left_alone_and_not_counted(self) -> None:
        foreign = LinkTracker(BASE, b"another-secret-0123456789").click_url("https://x.example", delivery_id=DELIVERY)
        html = f'<a href="{foreign}">x</a><a href="https://a.example">a</a>'

        rewritten = tracker.rewrite(html, delivery_id=DELIVERY)

        assert rewritten.startswith(f'<a href="{foreign}">x</a>')
        assert [(c.url, c.position) for c in clicks(rewritten.split("</a>", 1)[1])] == [("https://a.example", 0)]

    def test_universal_link_id_verifies_without_a_target(self) -> None:
        link_id = tracker.link_id(delivery_id=DELIVERY, position=4)

        assert tracker.verify_click(link_id) == ClickTarget(delivery_id=DELIVERY, url=None, position=4)
        with pytest.raises(InvalidTrackingToken):
            LinkTracker(BASE, b"another-secret-0123456789").verify_click(link_id)


class TestUnsubscribeLinks:
    def test_hosted_unsubscribe_and_preference_links_are_left_alone(self) -> None:
        html = f'<a href="{BASE}/unsubscribe/abc">Unsubscribe</a><a href="{BASE}/u/i/tok/fr">Preferences</a><a href="{BASE}/preferences/abc">Manage</a>'

        assert tracker.rewrite(html, delivery_id=DELIVERY).startswith(html)

    def test_tracked_class_tracks_an_unsubscribe_link(self) -> None:
        html = tracker.rewrite(f'<a href="{BASE}/unsubscribe/abc" class="tracked">Unsubscribe</a>', delivery_id=DELIVERY)

        assert urls(html) == [f"{BASE}/unsubscribe/abc"]

    def test_the_emails_own_unsubscribe_url_is_left_alone(self) -> None:
        email = OutboundEmail(
            delivery_id=DELIVERY,
            from_address="shop@example.com",
            to="ann@example.com",
            subject="Hi",
            html='<a href="https://unsub.example/x?d=1">Unsubscribe</a><a href="https://shop.example">Shop</a>',
            unsubscribe_url="https://unsub.example/x?d=1",
        )

        assert urls(tracker.apply(email).html) == ["https://shop.example"]

    def test_configured_prefixes_count_as_unsubscribe_links(self) -> None:
        custom = LinkTracker(BASE, SECRET, unsubscribe_prefixes=("https://example.com/unsub",))

        html = custom.rewrite('<a href="https://example.com/unsub?u=1">u</a>', delivery_id=DELIVERY)

        assert CLICK.search(html) is None


class TestOpenPixel:
    def test_pixel_goes_before_the_last_body_end(self) -> None:
        html = tracker.rewrite("<html><body><p>Hi</p><!-- </body> --></body></html>", delivery_id=DELIVERY)

        pixel = OPEN.search(html)
        assert pixel is not None and html.endswith("</body></html>")
        assert html.index("<!-- </body> -->") < pixel.start()
        assert tracker.verify_open(pixel.group(1)) == DELIVERY

    def test_pixel_is_appended_to_a_fragment(self) -> None:
        html = tracker.rewrite('<p><a href="https://x.example">x</a></p>', delivery_id=DELIVERY)

        assert OPEN.search(html) is not None and html.endswith('style="border:0;width:1px;height:1px;" />')

    def test_pixel_after_links_and_before_body_end(self) -> None:
        html = tracker.rewrite('<body><a href="https://x.example">x</a></BODY >', delivery_id=DELIVERY)

        pixel = OPEN.search(html)
        assert pixel is not None
        assert html.index("</a>") < pixel.start() < html.index("</BODY >")

    def test_open_tracking_off_adds_no_pixel_but_still_tracks_links(self) -> None:
        quiet = LinkTracker(BASE, SECRET, track_opens=False)

        html = quiet.rewrite('<body><a href="https://x.example">x</a></body>', delivery_id=DELIVERY)

        assert OPEN.search(html) is None
        assert urls(html) == ["https://x.example"]

    def test_untracked_email_is_left_exactly_as_rendered(self) -> None:
        email = OutboundEmail(
            delivery_id=DELIVERY,
            from_address="shop@example.com",
            to="ann@example.com",
            subject="Hi",
            html='<body><a href="https://x.example">x</a></body>',
            tracked=False,
        )

        assert tracker.apply(email) is email
        assert tracker.apply(dataclasses.replace(email, tracked=True)).html != email.html


class TestTokens:
    def test_click_url_for_links_outside_html(self) -> None:
        url = tracker.click_url("https://x.example/?q=1", delivery_id=DELIVERY, position=3, tag="cta")

        assert url.startswith(f"{BASE}/click/")
        assert tracker.verify_click(url.rsplit("/", 1)[1]) == ClickTarget(DELIVERY, "https://x.example/?q=1", 3, "cta")

    def test_non_ascii_urls_round_trip(self) -> None:
        url = "https://例え.jp/パス?q=ü&x=\"'<>"

        html = tracker.rewrite(f'<a href="{escape(url)}">x</a>', delivery_id=DELIVERY)

        assert urls(html) == [url]

    @pytest.mark.parametrize("index", [0, 10, -5, -1])
    def test_any_changed_character_is_refused(self, index: int) -> None:
        token = tracker.click_url("https://x.example", delivery_id=DELIVERY).rsplit("/", 1)[1]
        at = index % len(token)
        tampered = token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]

        with pytest.raises(InvalidTrackingToken, match="Invalid link security token"):
            tracker.verify_click(tampered)

    def test_swapped_payload_is_refused(self) -> None:
        first = tracker.click_url("https://x.example", delivery_id=DELIVERY).rsplit("/", 1)[1]
        second = tracker.click_url("https://evil.example", delivery_id=DELIVERY).rsplit("/", 1)[1]

        with pytest.raises(InvalidTrackingToken):
            tracker.verify_click(second.split(".")[0] + "." + first.split(".")[1])

    def test_token_of_another_secret_is_refused(self) -> None:
        other = LinkTracker(BASE, b"another-secret-0123456789")
        token = other.click_url("https://x.example", delivery_id=DELIVERY).rsplit("/", 1)[1]

        with pytest.raises(InvalidTrackingToken):
            tracker.verify_click(token)

    def test_open_and_click_tokens_are_not_interchangeable(self) -> None:
        open_token = tracker.open_url(delivery_id=DELIVERY).rsplit("/", 1)[1]
        click_token = tracker.click_url("https://x.example", delivery_id=DELIVERY).rsplit("/", 1)[1]

        with pytest.raises(InvalidTrackingToken):
            tracker.verify_click(open_token)
        with pytest.raises(InvalidTrackingToken):
            tracker.verify_open(click_token)

    @pytest.mark.parametrize("token", ["", ".", "abc", "abc.def", "é.é", "a.b.c", "====.====", "%00.%00"])
    def test_garbage_is_refused_as_invalid_input(self, token: str) -> None:
        with pytest.raises(InvalidInput):
            tracker.verify_click(token)

    @given(st.text())
    def test_no_string_crashes_verification(self, token: str) -> None:
        with pytest.raises(InvalidTrackingToken):
            tracker.verify_click(token)

    @pytest.mark.parametrize("secret", [b"s" * 16, b"s" * 64, b"long secret " * 10])
    def test_tokens_are_hmac_sha256_so_links_already_sent_keep_working(self, secret: bytes) -> None:
        # A token as every earlier version signed it: base64url JSON, then 128 bits of the
        # standard library's HMAC-SHA256 over the purpose and the payload.
        payload = base64.urlsafe_b64encode(b'["d1",3,"https://shop.example.com/\xc3\xa9",null]').rstrip(b"=")
        signature = hmac.digest(secret, b"click\x00" + payload, "sha256")[:16]
        token = f"{payload.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
        signer = LinkTracker(BASE, secret)
        url = "https://shop.example.com/\u00e9"

        assert signer.click_url(url, delivery_id="d1", position=3) == f"{BASE}/click/{token}"
        assert signer.verify_click(token) == ClickTarget(delivery_id="d1", url=url, position=3)

    def test_short_secret_and_bad_base_url_are_refused(self) -> None:
        with pytest.raises(InvalidInput, match="at least 16 bytes"):
            LinkTracker(BASE, b"short")
        with pytest.raises(InvalidInput, match="base URL"):
            LinkTracker("t.example.com", SECRET)

    def test_trailing_slash_of_the_base_url_is_dropped(self) -> None:
        assert LinkTracker(BASE + "/", SECRET).click_url("https://x.example", delivery_id="d").startswith(
            f"{BASE}/click/"
        )


# Property tests: documents are built from pieces whose rewriting the test knows independently.

_WS = "\t\n\f "
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="<\r\x00"), max_size=30)
_snippets = st.sampled_from(
    [
        " a < b ", "x <ab> y", "1<2", "<abbr>x</abbr>", "<b>bold</b>", "&amp;", "<br/>", "</a>",
        "<!-- <a href='https://hidden.example'> -->", "<style>a{color:red}</style>",
        "<script>if (a<b) { x = '<a href=\"https://s.example\">'; }</script>",
        "<area href='https://area.example'>", "<img src=x alt='<a href=https://img.example>'>",
    ]
)
_url_path = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\x00"), max_size=20)
_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https", "HTTPS", "Http"]),
    st.sampled_from(["example.com", "shop.example.org", "t.example.com", "xn--bcher-kva.example"]),
    st.one_of(_url_path, st.sampled_from(["unsubscribe/abc", "u/i/token/fr", "click/abc.def", "open/x.y"])),
)
_other_hrefs = st.sampled_from(["mailto:a@example.com", "tel:+1555", "#top", "/x", "", "javascript:void(0)"])


@st.composite
def _attribute(draw: st.DrawFn, name: str, value: str) -> str:
    quoting = draw(st.sampled_from(["double", "single", "bare"]))
    spaced = draw(st.sampled_from(["=", " = ", "\n=\t"]))
    shown_name = draw(st.sampled_from([name, name.upper()]))
    if quoting == "bare" and value and not any(c in value for c in "\t\n\f\r \"'=<>`&"):
        return f"{shown_name}{spaced}{value}"
    if quoting == "single":
        return f"{shown_name}{spaced}'{escape(value)}'"
    return f'{shown_name}{spaced}"{escape(value)}"'


@st.composite
def _anchor(draw: st.DrawFn) -> tuple[list[str], str | None, str | None, list[str]]:
    """An <a> tag as attribute strings, plus its href, data-cio-tag and class list."""
    href = draw(st.one_of(_urls, _other_hrefs, st.none()))
    classes = draw(st.lists(st.sampled_from(["btn", "untracked", "x-untracked", "tracked", "UNTRACKED"]), max_size=3))
    tag = draw(st.one_of(st.none(), st.sampled_from(["cta", "reset-link"])))
    attributes = []
    if href is not None:
        attributes.append(("href", draw(st.sampled_from(["", " ", "\n"])) + href))
    if classes:
        attributes.append(("class", " ".join(classes)))
    if tag is not None:
        attributes.append(("data-cio-tag", tag))
    attributes.append(("title", draw(st.sampled_from(["a > b", "it's", 'say "hi"', "x=y"]))))
    attributes = draw(st.permutations(attributes))
    rendered = [draw(_attribute(name, value)) for name, value in attributes]
    return rendered, href, tag, classes


@st.composite
def _document(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str | None]]]:
    """A document, the document the tracker must make of it, and the (url, tag) of each tracked link."""
    original, expected, tracked = [], [], []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            piece = draw(st.one_of(_text, _snippets))
            original.append(piece)
            expected.append(piece)
            continue
        attributes, href, tag, classes = draw(_anchor())
        separator = draw(st.sampled_from([" ", "\n", "  "]))
        opening = "<a" + separator + " ".join(attributes) + ">"
        original.append(opening + "link</a>")
        url = href.strip(_WS) if href is not None else None
        is_tracked = (
            url is not None
            and re.match(r"https?://", url, re.IGNORECASE) is not None
            and "untracked" not in classes
            and not url.startswith((f"{BASE}/click/", f"{BASE}/open/"))
            and not (url.startswith((f"{BASE}/unsubscribe/", f"{BASE}/u/")) and "tracked" not in classes)
        )
        if is_tracked:
            assert url is not None
            click = tracker.click_url(url, delivery_id=DELIVERY, position=len(tracked), tag=tag)
            href_attribute = next(a for a in attributes if a.lower().startswith("href"))
            opening = opening.replace(href_attribute, f'href="{escape(click)}"', 1)
            tracked.append((url, tag))
        expected.append(opening + "link</a>")
    return "".join(original), "".join(expected), tracked


@settings(max_examples=300, deadline=None)
@given(_document())
def test_every_trackable_link_is_rewritten_and_nothing_else_changes(document: tuple[str, str, list]) -> None:
    original, expected, tracked = document

    rewritten = tracker.rewrite(original, delivery_id=DELIVERY)

    pixel = f'<img src="{tracker.open_url(delivery_id=DELIVERY)}" width="1" height="1" alt="" '
    assert rewritten.startswith(expected) and rewritten[len(expected) :].startswith(pixel)
    # Click URLs already in the document (here never validly signed) are left as they are.
    already = set(CLICK.findall(original))
    new = [tracker.verify_click(token) for token in CLICK.findall(rewritten) if token not in already]
    assert [(c.url, c.tag) for c in new] == tracked
    assert [c.position for c in new] == list(range(len(tracked)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("<a href=\"'>/ -!bodyscriptx:&;#\n=") + ["https://x.example", "<a ", "</body>", "<!--"])
    ).map("".join)
)
def test_random_markup_never_crashes_and_rewritten_links_verify(html: str) -> None:
    rewritten = tracker.rewrite(html, delivery_id=DELIVERY)

    for click in clicks(rewritten):
        assert click.delivery_id == DELIVERY
    assert tracker.rewrite(html, delivery_id=DELIVERY) == rewritten
    without_tags = html.replace("<", "&lt;")
    assert LinkTracker(BASE, SECRET, track_opens=False).rewrite(without_tags, delivery_id=DELIVERY) == without_tags


class TestPreferencesTokens:
    def test_a_token_round_trips_and_names_its_workspace_unverified(self) -> None:
        access = PreferencesAccess(workspace_id=7, cio_id="c1", expires_at=1772400000, delivery_id=DELIVERY)
        token = tracker.preferences_token(access)

        assert tracker.verify_preferences_token(token) == access
        assert token_workspace_id(token) == 7

    def test_another_secret_or_another_purpose_does_not_verify(self) -> None:
        token = tracker.preferences_token(PreferencesAccess(workspace_id=7, cio_id="c1", expires_at=1))
        other = LinkTracker(BASE, b"another-secret-of-16-bytes")
        click = tracker.click_url("https://x.example", delivery_id=DELIVERY).rsplit("/", 1)[1]

        with pytest.raises(InvalidTrackingToken):
            other.verify_preferences_token(token)
        with pytest.raises(InvalidTrackingToken):
            tracker.verify_preferences_token(click)
