"""SES v1's XML text: escaped as XML 1.0 needs, so any parser reads back the exact value."""

from __future__ import annotations

from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest

from mailyard.web.emulate.ses_v1_xml import element, text

VALUES = [
    "plain",
    "a & b < c > d",
    "]]> ends a CDATA section",
    "&amp; already escaped stays literal",
    "line\r\nbreak\rand\ttab",
    "quotes \" and ' stay as they are",
    "ünïcödé ✉",
    "",
]


@pytest.mark.parametrize("value", VALUES)
def test_text_reads_back_exactly(value: str) -> None:
    parsed = ElementTree.fromstring(element("Data", value) or "<Data/>")
    assert (parsed.text or "") == value


@pytest.mark.parametrize("value", VALUES)
def test_text_matches_the_standard_library_escape(value: str) -> None:
    assert text(value) == escape(value).replace("\r", "&#13;")


def test_text_escapes_each_special_character() -> None:
    assert text("&<>\r") == "&amp;&lt;&gt;&#13;"
    assert text(42) == "42"
