"""Mailpit's HTML check: what it finds in known snippets, its arithmetic, and its JSON shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.mail.htmlcheck import check_html
from mailyard.sandbox.mail.htmlcheck.data import caniemail
from mailyard.sandbox.mail.htmlcheck.markup import BODY, HEAD, parse
from mailyard.sandbox.mail.htmlcheck.result import f32, go_float32

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SWAGGER = SHARED / "research" / "mailpit-api-v1.swagger.json"


def found(html: str) -> dict[str, int]:
    return {w.slug: w.score.found for w in check_html(html).warnings}


def clients_without(slug: str, html: str) -> set[str]:
    warning = next(w for w in check_html(html).warnings if w.slug == slug)
    return {r.family for r in warning.results if r.support != "yes"}


# --- what is found ---------------------------------------------------------------------------


def test_display_flex_is_flagged_for_the_clients_caniemail_names() -> None:
    html = '<div style="display:flex">a</div><div style="display: flex ;">b</div>'
    assert found(html)["css-display-flex"] == 2
    assert found(html)["css-display"] == 2
    lacking = clients_without("css-display-flex", html)
    # caniemail: Outlook for Windows ignores it ("n"), Gmail on mobile only with Google accounts
    assert {"outlook", "gmail", "orange", "gmx", "web-de"} <= lacking
    assert "apple-mail" not in lacking


def test_inline_flex_is_display_but_not_display_flex() -> None:
    assert "css-display-flex" not in found('<p style="display:inline-flex">x</p>')


def test_at_media_and_pseudo_classes_are_counted_in_style_blocks() -> None:
    html = (
        "<style>@media (max-width:600px){.a{color:red}} @media screen and (min-width:1px){}"
        "a:hover{color:red} a:visited{} p:first-child{}</style><p>x</p>"
    )
    counts = found(html)
    assert counts["css-at-media"] == 2  # Mailpit misses the second ("@media screen and (")
    assert counts["css-pseudo-class-hover"] == 1
    assert counts["css-pseudo-class-visited"] == 1
    assert counts["css-pseudo-class-first-child"] == 1
    assert counts["html-style"] == 1


def test_style_rules_are_inlined_before_css_is_counted() -> None:
    html = (
        "<style>.btn{border-radius:6px} .btn:hover{opacity:.5} @media (x){p{float:left}}</style>"
        '<a class="btn">1</a><a class="btn">2</a><a>3</a><p>x</p>'
    )
    counts = found(html)
    assert counts["css-border-radius"] == 2  # once per element the rule reaches
    assert "css-opacity" not in counts  # :hover stays in <style>
    assert "css-float" not in counts  # so does @media


def test_cascade_keeps_important_and_element_style_wins() -> None:
    html = (
        "<style>p{color:red !important} #x{width:10px}</style>"
        '<p id="x" style="width:20px">a</p><p>b</p>'
    )
    counts = found(html)
    assert counts["css-important"] == 2
    assert counts["css-width"] == 2  # the one element, and the width attribute the inliner adds


def test_descendant_and_child_selectors_are_matched() -> None:
    html = (
        "<style>.card td{padding:4px} .card > tr{margin:0}</style>"
        '<table class="card"><tr><td>a</td></tr></table><table><tr><td>b</td></tr></table>'
    )
    counts = found(html)
    assert counts["css-padding"] == 1
    assert "css-margin" not in counts  # a tbody stands between table and tr, as in HTML5


def test_html_elements_attributes_and_images() -> None:
    html = (
        '<form><input type="checkbox"><input type="text" required><button type="submit">'
        '</button></form><svg></svg><video></video><a href="#top">t</a>'
        '<img src="a.webp"><img src="b.GIF"><img src="data:image/png;base64,AA==">'
        '<img src="x.png" srcset="x2.png 2x" usemap="#m"><table width="600" bgcolor="#fff">'
    )
    counts = found(html)
    for slug, times in {
        "html-form": 1,
        "html-input-checkbox": 1,
        "html-input-text": 1,
        "html-required": 1,
        "html-button-submit": 1,
        "html-svg": 1,
        "html-video": 1,
        "html-anchor-links": 1,
        "image-webp": 1,
        "image-gif": 1,
        "image-base64": 1,
        "html-srcset": 1,
        "html-image-maps": 1,
        "css-width": 1,
        "css-background-color": 1,
    }.items():
        assert counts[slug] == times, slug


def test_script_is_mailpits_own_warning() -> None:
    result = check_html('<p>x</p><script>1</script><script type="application/ld+json">{}</script>')
    script = result.warnings[0]
    assert (script.slug, script.score.found, script.score.unsupported) == ("html-script", 1, 100)
    assert script.results == ()
    # 100 % unsupported x 1 found / 3 nodes (p and both scripts), in float32
    assert result.as_json()["Total"] == {
        "Tests": result.total.tests,
        "Nodes": 3,
        "Supported": 66.66667,
        "Partial": 0.0,
        "Unsupported": 33.333332,
    }


def test_values_mailpit_never_matches_are_found() -> None:
    html = (
        '<p style="background-image:radial-gradient(red,blue);color:var(--c);'
        'width:fit-content;scroll-snap-type:x;margin-inline:4px">x</p>'
    )
    counts = found(html)
    for slug in (
        "css-radial-gradient",
        "css-variables",
        "css-intrinsic-size",
        "css-scroll-snap",
        "css-margin-inline-block",
    ):
        assert counts[slug] == 1, slug


def test_units_count_every_occurrence() -> None:
    counts = found('<p style="margin:1rem 2rem;width:10vw;color:initial">x</p>')
    assert counts["css-unit-rem"] == 2
    assert counts["css-unit-vw"] == 1
    assert counts["css-unit-initial"] == 1


def test_empty_html_is_refused_as_mailpit_does() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_html("")
    assert caught.value.field == "html"


# --- the tree ------------------------------------------------------------------------------


def test_tree_places_head_elements_and_counts_nodes_as_mailpit() -> None:
    document = parse("<title>t</title><style>p{}</style><meta charset=utf-8><p>a<p>b</p>")
    names = [(e.name, e.parent) for e in document.elements[3:]]
    assert names == [("title", HEAD), ("style", HEAD), ("meta", HEAD), ("p", BODY), ("p", BODY)]
    # no </body>: nodes are the body's elements ("body *, script")
    assert check_html("<title>t</title><p>a<p>b</p>").total.nodes == 2
    # with </body>: every element but html, head and meta
    assert check_html("<title>t</title><meta x><p>a</p></body>").total.nodes == 3


def test_tree_inserts_tbody_and_closes_cells() -> None:
    document = parse("<table><tr><td>a<td>b<tr><td>c</table>")
    names = [e.name for e in document.elements[3:]]
    assert names == ["table", "tbody", "tr", "td", "td", "tr", "td"]
    tds = [i for i, e in enumerate(document.elements) if e.name == "td"]
    assert document.elements[tds[0]].parent == document.elements[tds[1]].parent


def test_raw_text_and_comments_hide_their_markup() -> None:
    document = parse("<!-- <img> --><style>a<b></style><script>if (a<b) {}</script><i>x</i>")
    assert [e.name for e in document.elements[3:]] == ["style", "script", "i"]
    assert document.elements[3].text == "a<b>"


# --- arithmetic and shape -----------------------------------------------------------------


def test_warning_score_is_the_share_of_support_rows_as_float32() -> None:
    result = check_html('<p style="opacity:.5">x</p>')
    warning = next(w for w in result.warnings if w.slug == "css-opacity")
    rows = caniemail().features["css-opacity"].support
    yes = sum(r.support == "y" for r in rows)
    no = sum(r.support == "n" for r in rows)
    assert warning.score.supported == f32(f32(yes / len(rows)) * 100)
    assert warning.score.unsupported == f32(f32(no / len(rows)) * 100)
    assert len(warning.results) == len(rows)


def test_noted_yes_counts_as_partial_with_its_last_digit_as_mailpit() -> None:
    result = check_html('<p style="display:flex">x</p>')
    flex = next(w for w in result.warnings if w.slug == "css-display-flex")
    yahoo = [r for r in flex.results if r.family == "yahoo" and r.version == "2020-11"]
    assert {(r.support, r.note_number) for r in yahoo} == {("partial", "2")}  # "y #2"
    assert yahoo[0].name == "Yahoo! Mail Desktop Webmail (2020-11)"


def test_total_is_the_worst_weighted_share() -> None:
    result = check_html("<p>a</p><p>b</p><p>c</p><script>x</script>")
    # <script>: 100 % unsupported, found 1 of 4 nodes
    assert result.total.nodes == 4
    assert result.total.unsupported == 25.0
    assert result.total.supported == 75.0


def test_ui_score_weights_at_rules_lightly_and_filters_clients() -> None:
    html = "<style>@media (max-width:1px){}</style>" + "<p>x</p>" * 20 + '<p style="opacity:0">'
    result = check_html(html)
    score = result.score(families={"gmail"})
    costs = {cost.slug: cost for cost in score.costs}
    for slug, weight in (("css-at-media", 0.05), ("css-opacity", 1 / 21)):
        warning = next(w for w in result.warnings if w.slug == slug)
        gmail = [r.support for r in warning.results if r.family == "gmail"]
        partial = gmail.count("partial") / len(gmail) * 100
        unsupported = gmail.count("no") / len(gmail) * 100
        assert costs[slug].partial == pytest.approx(partial * weight)
        assert costs[slug].unsupported == pytest.approx(unsupported * weight)
    worst = max(c.partial for c in score.costs), max(c.unsupported for c in score.costs)
    assert score.supported == pytest.approx(100 - worst[0] - worst[1])
    assert result.score(families={"no-such-client"}).supported == 100


def test_platforms_list_families_per_platform_sorted() -> None:
    platforms = check_html("<p>x</p>").platforms
    assert "Outlook" in platforms["windows"]
    assert list(platforms["ios"]) == sorted(platforms["ios"])
    assert "Gmail" in platforms["android"] and "Apple Mail" in platforms["macos"]


def test_float32_values_are_written_as_go_writes_them() -> None:
    assert go_float32(100 / 3) == 33.333332
    assert go_float32(f32(f32(2 / 3) * 100)) == 66.66667  # Go: float32(2)/3*100
    assert go_float32(25.0) == 25.0


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its $refs inlined and every listed property required, no others allowed."""
    if "$ref" in schema:
        return _resolve(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions)
    resolved = dict(schema)
    if "properties" in schema:
        resolved["properties"] = {
            k: _resolve(v, definitions) for k, v in schema["properties"].items()
        }
        resolved["required"] = sorted(schema["properties"])
        resolved["additionalProperties"] = False
    if "items" in schema:
        resolved["items"] = _resolve(schema["items"], definitions)
    if isinstance(schema.get("additionalProperties"), dict):
        resolved["additionalProperties"] = _resolve(schema["additionalProperties"], definitions)
    return resolved


def test_json_matches_mailpits_swagger_schema() -> None:
    if not SWAGGER.exists():
        pytest.skip(f"{SWAGGER} not present")
    definitions = json.loads(SWAGGER.read_text())["definitions"]
    schema = _resolve({"$ref": "#/definitions/HTMLCheckResponse"}, definitions)
    html = (
        '<style>@media (x){} a:hover{}</style><div style="display:flex;border-radius:4px">'
        '<img src="a.svg"><script>1</script></div></body>'
    )
    body = check_html(html).as_json()
    assert len(body["Warnings"]) > 3  # type: ignore[arg-type]
    # every property of Mailpit's schema present, of its type, and no other
    jsonschema.validate(json.loads(json.dumps(body)), schema)


def test_data_is_loaded_once() -> None:
    assert caniemail() is caniemail()
