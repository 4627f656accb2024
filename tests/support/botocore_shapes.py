"""Check an emulator's response body against botocore's output shape for the operation.

`assert_matches_output_shape("sesv2", "GetAccount", body)` walks the installed botocore service
model: every required member present, no member the shape lacks, no nulls, and each value of the
type the protocol puts on the wire. For REST-JSON (SES v2) `body` is the decoded JSON: strings,
booleans, integers (not booleans), doubles (ints or floats), timestamps as epoch-second numbers
(the JS SDK v3 throws on anything else), blobs as base64 text, enums from their value set. For
the query protocol (SES v1) `body` is the XML text: `<{Op}Response xmlns=…><{Op}Result>…` with
lists as `<member>`, maps as `<entry><key/><value/></entry>`, scalars as text that parses as the
type, timestamps as ISO 8601, plus `<ResponseMetadata><RequestId>`.

Failures are `AssertionError`s whose message is the path to the bad value, e.g.
`GetAccountResponse.SendQuota.Max24HourSend: expected a double, got str '200'`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

_INT32 = (-(2**31), 2**31 - 1)
_NOT_IN_BODY = frozenset({"header", "headers", "statusCode", "uri", "querystring"})


@functools.lru_cache(maxsize=8)
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def assert_matches_output_shape(service: str, operation: str, body: Any) -> None:
    """Assert that `body` is exactly what botocore's model says `operation` returns."""
    model = operation_model(service, operation)
    protocol = model.metadata["protocol"]
    shape = model.output_shape
    if protocol in ("rest-json", "json"):
        if isinstance(body, str | bytes):
            body = json.loads(body)
        if shape is None:
            assert body in ({}, None), f"{operation} returns no body, got {body!r}"
            return
        _check_json(shape, body, shape.name, top=True)
    elif protocol == "query":
        assert isinstance(body, str | bytes), f"{operation}: a query response is XML text"
        _check_query_document(model, body)
    else:  # pragma: no cover - SES uses only these two
        raise AssertionError(f"protocol {protocol!r} is not supported by this checker")


# -- JSON ---------------------------------------------------------------------------------------


def _check_json(shape: Shape, value: Any, where: str, top: bool = False) -> None:
    assert value is not None, f"{where}: null is not allowed; leave the member out"
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        assert isinstance(value, dict), f"{where}: expected an object, got {_show(value)}"
        members = {
            name: member
            for name, member in shape.members.items()
            if not (top and member.serialization.get("location") in _NOT_IN_BODY)
        }
        wire_names = {m.serialization.get("name", n): n for n, m in members.items()}
        for key in value:
            assert key in wire_names, (
                f"{where}: '{key}' is not a member of {shape.name} "
                f"(members: {', '.join(sorted(wire_names)) or 'none'})"
            )
        for required in shape.required_members:
            if required in members:
                wire = members[required].serialization.get("name", required)
                assert wire in value, f"{where}: required member '{wire}' is missing"
        if shape.is_document_type:
            return
        if shape.metadata.get("union"):
            assert len(value) == 1, f"{where}: a union sets exactly one member, got {len(value)}"
        for key, item in value.items():
            _check_json(members[wire_names[key]], item, f"{where}.{key}")
    elif isinstance(shape, ListShape):
        assert isinstance(value, list), f"{where}: expected a list, got {_show(value)}"
        for index, item in enumerate(value):
            _check_json(shape.member, item, f"{where}[{index}]")
    elif isinstance(shape, MapShape):
        assert isinstance(value, dict), f"{where}: expected a map, got {_show(value)}"
        for key, item in value.items():
            _check_json(shape.key, key, f"{where} key {key!r}")
            _check_json(shape.value, item, f"{where}[{key!r}]")
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp").lower()
        if fmt == "unixtimestamp":
            assert _is_number(value), (
                f"{where}: expected a timestamp as epoch seconds (a number), got {_show(value)}"
            )
        else:
            _check_text_timestamp(value, where, fmt)
    else:
        _check_scalar(shape, value, where)


def _check_scalar(shape: Shape, value: Any, where: str) -> None:
    kind = shape.type_name
    if kind == "string":
        assert isinstance(value, str), f"{where}: expected a string, got {_show(value)}"
        enum = shape.metadata.get("enum")
        assert not enum or value in enum, f"{where}: {value!r} is not one of {enum}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: expected a boolean, got {_show(value)}"
    elif kind in ("integer", "long", "short", "byte"):
        assert isinstance(value, int) and not isinstance(value, bool), (
            f"{where}: expected {_article(kind)}, got {_show(value)}"
        )
        if kind == "integer":
            assert _INT32[0] <= value <= _INT32[1], f"{where}: {value} does not fit an integer"
    elif kind in ("double", "float"):
        assert _is_number(value), f"{where}: expected a {kind}, got {_show(value)}"
    elif kind == "blob":
        assert isinstance(value, str), f"{where}: expected base64 text, got {_show(value)}"
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise AssertionError(f"{where}: {value[:40]!r} is not base64") from None
    else:  # pragma: no cover - not used by SES
        raise AssertionError(f"{where}: type {kind!r} is not supported by this checker")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_text_timestamp(value: Any, where: str, fmt: str) -> None:
    assert isinstance(value, str), f"{where}: expected an {fmt} timestamp, got {_show(value)}"
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError(f"{where}: {value!r} is not an ISO 8601 timestamp") from None


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:120]


# -- query (XML) --------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_query_document(model: OperationModel, text: str | bytes) -> None:
    root = ElementTree.fromstring(text)
    operation = model.name
    namespace = model.metadata.get("xmlNamespace")
    assert root.tag == f"{{{namespace}}}{operation}Response", (
        f"the root element is {root.tag}, expected {operation}Response in {namespace}"
    )
    children = {_local(child.tag): child for child in root}
    metadata = children.pop("ResponseMetadata", None)
    assert metadata is not None, f"{operation}Response: <ResponseMetadata> is missing"
    request_id = metadata.find(f"{{{namespace}}}RequestId")
    assert request_id is not None and (request_id.text or "").strip(), (
        f"{operation}Response: <ResponseMetadata><RequestId> is missing or empty"
    )
    shape = model.output_shape
    wrapper = model.output_shape.serialization.get("resultWrapper") if shape else None
    if shape is None or wrapper is None:
        assert not children or set(children) == {f"{operation}Result"}, (
            f"{operation}Response: unexpected elements {sorted(children)}"
        )
        return
    result = children.pop(wrapper, None)
    assert result is not None, f"{operation}Response: <{wrapper}> is missing"
    assert not children, f"{operation}Response: unexpected elements {sorted(children)}"
    _check_xml(shape, result, shape.name)


def _check_xml(shape: Shape, element: ElementTree.Element, where: str) -> None:
    if isinstance(shape, StructureShape):
        seen: set[str] = set()
        names = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}
        for child in element:
            tag = _local(child.tag)
            assert tag in names, f"{where}: <{tag}> is not a member of {shape.name}"
            name, member = names[tag]
            seen.add(name)
            _check_xml(member, child, f"{where}.{tag}")
        for required in shape.required_members:
            assert required in seen, f"{where}: required member <{required}> is missing"
    elif isinstance(shape, ListShape):
        member_name = shape.member.serialization.get("name", "member")
        for index, child in enumerate(element):
            assert _local(child.tag) == member_name, (
                f"{where}: list items are <{member_name}>, got <{_local(child.tag)}>"
            )
            _check_xml(shape.member, child, f"{where}[{index}]")
    elif isinstance(shape, MapShape):
        for index, entry in enumerate(element):
            assert _local(entry.tag) == "entry", f"{where}: map items are <entry>"
            parts = {_local(child.tag): child for child in entry}
            assert set(parts) == {"key", "value"}, f"{where}[{index}]: <entry> needs key and value"
            _check_xml(shape.key, parts["key"], f"{where}[{index}].key")
            _check_xml(shape.value, parts["value"], f"{where}[{index}].value")
    else:
        assert len(element) == 0, f"{where}: a {shape.type_name} has no child elements"
        _check_xml_text(shape, element.text or "", where)


def _check_xml_text(shape: Shape, text: str, where: str) -> None:
    kind = shape.type_name
    if kind == "string":
        enum = shape.metadata.get("enum")
        assert not enum or text in enum, f"{where}: {text!r} is not one of {enum}"
    elif kind == "boolean":
        assert text in ("true", "false"), f"{where}: expected true or false, got {text!r}"
    elif kind in ("integer", "long"):
        assert text.lstrip("-").isdigit(), f"{where}: expected {_article(kind)}, got {text!r}"
    elif kind in ("double", "float"):
        try:
            assert math.isfinite(float(text)), f"{where}: {text!r} is not finite"
        except ValueError:
            raise AssertionError(f"{where}: expected a {kind}, got {text!r}") from None
    elif kind == "timestamp":
        _check_text_timestamp(text, where, "iso8601")
    elif kind == "blob":
        _check_scalar(shape, text, where)
    else:  # pragma: no cover
        raise AssertionError(f"{where}: type {kind!r} is not supported by this checker")
