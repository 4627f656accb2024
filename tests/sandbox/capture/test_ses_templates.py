"""SES template rendering, held to the SES developer guide's own examples and failure texts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.budget import cpu_budget

from mailyard.sandbox.capture.ses_templates import (
    MAX_TEMPLATE_CHARS,
    MAX_TEMPLATE_DATA_CHARS,
    RenderingFailureError,
    RenderLimitError,
    TemplateContent,
    TemplateDataError,
    TemplateSyntaxError,
    bulk_template_data,
    compile_template,
    parse_template_data,
    render_template,
)
from mailyard.sandbox.errors import InvalidInputError


def html(source: str, data: dict[str, object]) -> str:
    rendered = render_template(compile_template(TemplateContent(html=source)), data).html
    assert rendered is not None
    return rendered


# The guide's "ExampleTemplate" (knowledge-center article on Rendering Failures).
EXAMPLE = TemplateContent(
    subject="Hello, {{name}}!",
    html="<h1>Hello {{name}},</h1><p>Your favorite color is {{favoritecolor}}.</p>",
    text="Dear {{name}},\r\nYour favorite color is {{favoritecolor}}.",
)


def test_the_guide_example_renders_every_part() -> None:
    out = render_template(
        compile_template(EXAMPLE), parse_template_data('{"name":"Jane","favoritecolor":"blue"}')
    )
    assert out == TemplateContent(
        subject="Hello, Jane!",
        html="<h1>Hello Jane,</h1><p>Your favorite color is blue.</p>",
        text="Dear Jane,\r\nYour favorite color is blue.",
    )


def test_a_missing_variable_is_ses_rendering_failure() -> None:
    template = compile_template(EXAMPLE, name="ExampleTemplate")
    # "Including extra variables ... doesn't cause" a failure; a missing one does.
    data = parse_template_data('{ "name":"Jane", "favoritenumber": "10" }')
    with pytest.raises(RenderingFailureError) as caught:
        render_template(template, data)
    assert str(caught.value) == "Attribute 'favoritecolor' is not present in the rendering data."
    assert caught.value.attribute == "favoritecolor"
    assert caught.value.template_name == "ExampleTemplate"
    assert isinstance(caught.value, InvalidInputError)


def test_a_null_value_is_missing_too() -> None:
    with pytest.raises(RenderingFailureError, match="'website'"):
        html("{{name}} {{website}}", {"name": "James", "website": None})


def test_variables_are_case_sensitive() -> None:
    with pytest.raises(RenderingFailureError, match="'Name'"):
        html("{{Name}}", {"name": "x"})


def test_html_is_not_escaped() -> None:
    # "SES doesn't escape HTML content when rendering the HTML template for a message."
    data = {"x": "<script>&\"'</script>"}
    assert html("{{x}}|{{{x}}}|{{&x}}", data) == "|".join([data["x"]] * 3)


def test_nested_attributes() -> None:
    data = {"contact": {"firstName": "Anaya", "address": {"city": "Bengaluru"}}}
    assert html("Hello {{contact.firstName}} of {{contact/address/city}}!", data) == (
        "Hello Anaya of Bengaluru!"
    )
    with pytest.raises(RenderingFailureError, match=r"'contact\.lastName'"):
        html("{{contact.lastName}}", data)


PREFERENCES2 = (
    "<h1>Your Preferences</h1><p>Dear {{contact.firstName}},</p>{{#if subscription}}<ul>"
    "{{#each subscription}}<li>{{interest}}</li>{{/each}}</ul><p><a href=https://www.example.com/"
    "prefererences/i.aspx?id={{meta.userId}}>Preference Center</a>.</p>{{else}}<p>Please update "
    "your subscription preferences by visiting the <a href=https://www.example.com/prefererences/"
    "i.aspx?id={{meta.userId}}>Preference Center</a>.{{/if}}"
)


def test_the_guide_each_and_if_example() -> None:
    anaya = json.loads(
        '{"meta":{"userId":"51806220607"},"contact":{"firstName":"Anaya","lastName":"Iyengar"},'
        '"subscription":[{"interest":"Sports"},{"interest":"Cooking"}]}'
    )
    assert html(PREFERENCES2, anaya) == (
        "<h1>Your Preferences</h1><p>Dear Anaya,</p><ul><li>Sports</li><li>Cooking</li></ul>"
        "<p><a href=https://www.example.com/prefererences/i.aspx?id=51806220607>"
        "Preference Center</a>.</p>"
    )
    # Shirley has no `subscription` at all: the guide shows the else branch, not a failure.
    shirley = json.loads(
        '{"meta":{"userId":"1981624758263"},"contact":{"firstName":"Shirley",'
        '"lastName":"Rodriguez"}}'
    )
    assert "Please update your subscription preferences" in html(PREFERENCES2, shirley)


def test_the_moto_aws_verified_each_if_else_example() -> None:
    source = "{{#each items}} {{name}} is {{#if best}}the best{{else}}a {{type}}{{/if}}, {{/each}}"
    data = {
        "items": [
            {"type": "dog", "name": "bobby", "best": True},
            {"type": "cat", "name": "pedro", "best": False},
        ]
    }
    out = html(source, data)
    assert "bobby is the best" in out and "pedro is a cat" in out


def test_the_guide_inline_partial_example() -> None:
    source = (
        '{{#* inline "fullName"}}{{firstName}}{{#if lastName}} {{lastName}}{{/if}}{{/inline}}\n'
        "<h1>Hello {{> fullName}}!</h1><ul>{{#each friends}}<li>{{> fullName}}</li>{{/each}}</ul>"
    )
    data = {
        "firstName": "Anaya",
        "lastName": "Iyengar",
        "friends": [{"firstName": "Shirley", "lastName": "Rodriguez"}, {"firstName": "Jane"}],
    }
    # "The newline isn't rendered in the final output."
    assert html(source, data) == (
        "<h1>Hello Anaya Iyengar!</h1><ul><li>Shirley Rodriguez</li><li>Jane</li></ul>"
    )


def test_each_over_strings_objects_and_the_loop_variables() -> None:
    data = {"tags": ["a", "b", "c"], "prices": {"tea": 2, "cake": 3.5}}
    assert html(
        "{{#each tags}}{{@index}}={{this}}{{#unless @last}},{{/unless}}{{/each}}", data
    ) == ("0=a,1=b,2=c")
    assert html("{{#each prices}}{{@key}}:{{.}};{{/each}}", data) == "tea:2;cake:3.5;"
    assert html("{{#each tags}}{{#if @first}}[{{/if}}{{this}}{{/each}}]", data) == "[abc]"
    assert html("{{#each tags}}{{../prices.tea}}{{/each}}", data) == "222"
    assert html("{{#each tags}}{{@root.prices.cake}}{{/each}}", data) == "3.53.53.5"
    assert html("{{tags.length}} {{tags.1}}", data) == "3 b"


def test_each_over_nothing_takes_else() -> None:
    assert html("{{#each xs}}x{{else}}none{{/each}}", {"xs": []}) == "none"
    assert html("{{#each xs}}x{{else}}none{{/each}}", {}) == "none"


def test_truthiness_follows_handlebars() -> None:
    source = "{{#if v}}T{{else}}F{{/if}}"
    for falsy in (False, None, "", 0, 0.0, []):
        assert html(source, {"v": falsy}) == "F", falsy
    for truthy in (True, "0", 1, {}, ["x"], " "):
        assert html(source, {"v": truthy}) == "T", truthy
    assert html("{{#with v}}[{{this}}]{{else}}none{{/with}}", {"v": 0}) == "[0]"
    assert html("{{#with c}}{{name}}{{/with}}", {"c": {"name": "n"}}) == "n"


def test_else_if_chains() -> None:
    source = "{{#if a}}A{{else if b}}B{{else}}C{{/if}}"
    assert [html(source, d) for d in ({"a": 1}, {"b": 1}, {})] == ["A", "B", "C"]


def test_values_print_as_handlebars_prints_them() -> None:
    data = {"t": True, "n": 3, "f": 2.0, "g": 2.5, "l": [1, None, "x"], "o": {"a": 1}}
    assert html("{{t}} {{n}} {{f}} {{g}} {{l}} {{o}}", data) == "true 3 2 2.5 1,,x [object Object]"


def test_standalone_block_lines_leave_no_blank_lines() -> None:
    source = "Your interests:\n{{#each subscription}}\n  - {{interest}}\n{{/each}}\nThanks\n"
    data = {"subscription": [{"interest": "Sports"}, {"interest": "Travel"}]}
    assert html(source, data) == "Your interests:\n  - Sports\n  - Travel\nThanks\n"
    assert html("{{! a comment }}\nx {{!-- {{not a tag}} --}}y", {}) == "x y"


def test_tilde_strips_whitespace() -> None:
    assert html("a  {{~x~}}  b", {"x": "-"}) == "a-b"
    assert html("[ {{~#if x}} yes {{~/if~}} ]", {"x": 1}) == "[ yes]"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{#if x}}never closed", "Html: line 1: {{#if}} is never closed."),
        ("a\n{{#each x}}{{/if}}", "Html: line 2: {{/if}} does not close {{#each}}."),
        ("{{/if}}", "closes no block"),
        ("{{else}}", "{{else}} closes no block"),
        ("{{#if x}}{{else}}{{else}}{{/if}}", "a second {{else}}"),
        ("{{#eq a b}}{{/eq}}", "the helper 'eq' is not supported."),
        ("{{lookup a b}}", "the helper 'lookup' in {{lookup a b}} is not supported."),
        ("{{#each items as |item|}}{{/each}}", "takes exactly one value"),
        ("{{> missing}}", "the partial 'missing' is used but never defined"),
        ("{{name", "the tag opened on line 1 is never closed."),
        ("{{@bogus}}", "not a supported @-variable"),
        ("{{a..b}}", "not a valid path"),
        ("{{^x}}y{{/x}}", "inverted sections"),
        ("{{}}", "an empty {{}}"),
    ],
)
def test_syntax_errors_name_the_part_and_line(source: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(TemplateContent(html=source))
    assert message in str(caught.value)
    assert caught.value.field == "Html"


def test_template_data_must_be_a_json_object() -> None:
    assert parse_template_data("") == {} and parse_template_data(None) == {}
    for bad, words in (("[1]", "must be a JSON object"), ("{", "not valid JSON"), ("3", "object")):
        with pytest.raises(TemplateDataError, match=words) as caught:
            parse_template_data(bad)
        assert caught.value.field == "TemplateData"
    with pytest.raises(TemplateDataError, match="at most 262144"):
        parse_template_data('{"a":"' + "x" * MAX_TEMPLATE_DATA_CHARS + '"}')
    with pytest.raises(TemplateDataError):
        parse_template_data("[" * 100_000 + "]" * 100_000)


def test_bulk_default_data_is_a_whole_object_fallback() -> None:
    default = '{"name":"Friend","color":"any"}'
    assert bulk_template_data(default, None) == {"name": "Friend", "color": "any"}
    assert bulk_template_data(default, "{}") == {"name": "Friend", "color": "any"}
    # Not merged per key: once an entry has data of its own, the defaults are ignored.
    assert bulk_template_data(default, '{"name":"Ann"}') == {"name": "Ann"}


def test_an_absent_part_stays_absent() -> None:
    out = render_template(compile_template(TemplateContent(subject="s {{a}}")), {"a": 1})
    assert out == TemplateContent(subject="s 1", text=None, html=None)


def test_templates_over_500_kb_are_refused() -> None:
    with pytest.raises(TemplateSyntaxError, match="at most"):
        compile_template(TemplateContent(text="x" * (MAX_TEMPLATE_CHARS + 1)))


def test_nesting_is_capped() -> None:
    deep = "{{#if a}}" * 40 + "{{/if}}" * 40
    with pytest.raises(TemplateSyntaxError, match="nest deeper than 32"):
        compile_template(TemplateContent(html=deep))


def test_multiplying_loops_stop_at_the_step_bound() -> None:
    source = "{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}"
    # A billion turns unbounded; the error proves the walk stopped at the bound.
    with pytest.raises(RenderLimitError, match="more than 1000000 steps"):
        html(source, {"a": list(range(1000))})


def test_output_is_capped() -> None:
    with pytest.raises(RenderLimitError, match="characters"):
        html("{{#each a}}{{../big}}{{/each}}", {"a": list(range(200)), "big": "x" * 100_000})


def test_partials_cannot_recurse_without_limit() -> None:
    source = '{{#* inline "p"}}{{> p}}{{/inline}}{{> p}}'
    with pytest.raises(RenderLimitError, match="partials"):
        html(source, {})


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}#/!^~>&@.ab \n\"'*=elsifnuhtw", max_size=300))
def test_any_template_text_parses_or_fails_cleanly(source: str) -> None:
    with cpu_budget(0.5, "a short template"):
        try:
            template = compile_template(TemplateContent(html=source))
            render_template(template, {"a": [1, {"b": 2}], "b": "x"})
        except (TemplateSyntaxError, RenderingFailureError, RenderLimitError):
            pass


def test_a_long_template_lexes_in_linear_time() -> None:
    source = "{{a}} text\n" * 40_000  # ~440 KB of tags
    with cpu_budget(5, "a 440 KB template"):
        out = html(source, {"a": "v"})
    assert out.count("v text") == 40_000
