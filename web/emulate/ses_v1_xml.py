"""SES v1's query protocol on the wire: form-encoded requests in, XML documents out.

Requests are `Action=<Op>&Version=2010-12-01&...` with lists as `Name.member.N` (1-based) and
nested members dotted (`Destination.ToAddresses.member.1`, `Message.Body.Html.Data`). Answers:

    <SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
      <SendEmailResult><MessageId>…</MessageId></SendEmailResult>
      <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
    </SendEmailResponse>

and errors `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
<RequestId>…</RequestId></ErrorResponse>`, with `x-amzn-RequestId` as well (the JS SDK reads the
request id only from the header). A CR is written `&#13;`: XML parsers turn a literal CR LF into
LF, and a rendered template is a MIME message whose CR LF must survive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.responses import Response

from mailyard.web.emulate.ses_errors import SESError
from mailyard.web.emulate.wire import request_id

NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"
MAX_FIELDS = 10_000
MAX_MEMBERS = 1000

Form = Mapping[str, str]
Xml = str


def parse_form(body: bytes) -> dict[str, str]:
    """The form's fields (a repeated name keeps its last value); at most MAX_FIELDS of them."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise SESError(
            "MalformedQueryString", 404, "The query string is malformed.", v1_status=404
        ) from None
    return dict(pairs)


def members(form: Form, name: str) -> list[str]:
    """`name.member.1`, `name.member.2`, ... in order, stopping at the first gap."""
    found = []
    for index in range(1, MAX_MEMBERS + 1):
        value = form.get(f"{name}.member.{index}")
        if value is None:
            break
        found.append(value)
    return found


def pairs(form: Form, name: str, keys: tuple[str, str]) -> list[tuple[str, str]]:
    """`name.member.N.<key>` pairs (`Tags.member.1.Name`, `Tags.member.1.Value`)."""
    found = []
    for index in range(1, MAX_MEMBERS + 1):
        prefix = f"{name}.member.{index}."
        first, second = form.get(prefix + keys[0]), form.get(prefix + keys[1])
        if first is None:
            break
        found.append((first, second or ""))
    return found


def required(form: Form, name: str) -> str:
    value = form.get(name)
    if value is None or value == "":
        raise SESError(
            "MissingParameter",
            400,
            f"The request must contain the parameter {name}",
        )
    return value


# Character data as XML 1.0 writes it: `&`, `<` and `>` as entities (`>` for `]]>`), a CR as a
# character reference. Our own rather than xml.sax.saxutils.escape, which imports urllib.request,
# http.client and the email package: ~10 ms of `mailyard serve`'s start (issue 10).
TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def text(value: object) -> Xml:
    """`value` as XML character data."""
    return str(value).translate(TEXT_ESCAPES)


def element(name: str, value: object) -> Xml:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{text(value)}</{name}>"


def member_list(name: str, values: Iterable[object]) -> Xml:
    inner = "".join(element("member", v) for v in values)
    return f"<{name}>{inner}</{name}>" if inner else f"<{name}/>"


def timestamp(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def response(action: str, result: Xml | None) -> Response:
    """`<{action}Response>` with `<{action}Result>` (None: an operation with no output)."""
    rid = request_id()
    if result is None:
        body = ""
    elif result:
        body = f"<{action}Result>{result}</{action}Result>"
    else:
        body = f"<{action}Result/>"
    document = (
        f'<{action}Response xmlns="{NAMESPACE}">{body}'
        f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        f"</{action}Response>\n"
    )
    return Response(document, 200, headers={"x-amzn-RequestId": rid}, media_type="text/xml")


def error_document(code: str, status: int, message: str) -> Response:
    rid = request_id()
    kind = "Sender" if status < 500 else "Receiver"
    document = (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>'
        f"<Code>{text(code)}</Code><Message>{text(message)}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>\n"
    )
    return Response(document, status, headers={"x-amzn-RequestId": rid}, media_type="text/xml")


def ses_error(error: SESError) -> Response:
    return error_document(error.v1_code, error.v1_status, error.v1_message)
