"""SigV4 on the server side, against requests the real boto3 signs and sends over loopback."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.budget import cpu_budget

from mailyard.web.emulate.sigv4 import (
    MISMATCH_MESSAGE,
    AuthFailure,
    SignedRequest,
    SigV4Error,
    SigV4Verifier,
    canonical_query,
    canonical_uri,
    parse_authorization,
)

AKID = "AKIDMAILBOX1"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class _Capture(BaseHTTPRequestHandler):
    """Records each request exactly as it arrived and answers what SES would (an empty success)."""

    protocol_version = "HTTP/1.1"
    seen: list[SignedRequest]

    def log_message(self, *args: object) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        self.server.seen.append(  # type: ignore[attr-defined]
            SignedRequest(self.command, path, query, tuple(self.headers.items()), body)
        )
        if path == "/":
            action = dict(p.split("=", 1) for p in body.decode().split("&"))["Action"]
            data = (
                f'<{action}Response xmlns="http://ses.amazonaws.com/doc/2010-12-01/">'
                f"<{action}Result><MessageId>m</MessageId></{action}Result>"
                f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"
            ).encode()
            kind = "text/xml"
        else:
            data, kind = b"{}", "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _any


@pytest.fixture(scope="module")
def capture() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _client(server: ThreadingHTTPServer, service: str = "sesv2", **creds: str) -> object:
    host, port = server.server_address[:2]
    return boto3.client(
        service,
        endpoint_url=f"http://{host}:{port}",
        region_name="eu-west-1",
        aws_access_key_id=creds.get("key", AKID),
        aws_secret_access_key=creds.get("secret", SECRET),
        aws_session_token=creds.get("token"),
    )


def _send(
    server: ThreadingHTTPServer, call: str, service: str = "sesv2", **kw: object
) -> SignedRequest:
    server.seen.clear()  # type: ignore[attr-defined]
    getattr(_client(server, service), call)(**kw)
    (request,) = server.seen  # type: ignore[attr-defined]
    return request


STRICT = SigV4Verifier({AKID: SECRET}, strict=True)

CALLS = {
    "get with repeated query keys and a timestamp": (
        "list_suppressed_destinations",
        {
            "Reasons": ["BOUNCE", "COMPLAINT"],
            "StartDate": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "PageSize": 10,
            "NextToken": "a b+c/=",
        },
    ),
    "post with a json body": (
        "send_email",
        {
            "FromEmailAddress": "Acme <a@example.com>",
            "Destination": {"ToAddresses": ["b@example.com"]},
            "Content": {"Simple": {"Subject": {"Data": "Grüße"}, "Body": {"Text": {"Data": "t"}}}},
        },
    ),
    "unicode in the path": ("get_email_identity", {"EmailIdentity": "jürgen@exämple.com"}),
    "a plus in the suppression path": (
        "get_suppressed_destination",
        {"EmailAddress": "a+tag@example.com"},
    ),
    "delete with an encoded path": (
        "delete_suppressed_destination",
        {"EmailAddress": "a+tag@example.com"},
    ),
    "put with a json body": (
        "put_suppressed_destination",
        {"EmailAddress": "x+y@example.com", "Reason": "BOUNCE"},
    ),
}


@pytest.mark.parametrize("label", sorted(CALLS))
def test_strict_mode_accepts_what_boto3_signs(capture: ThreadingHTTPServer, label: str) -> None:
    call, kw = CALLS[label]
    request = _send(capture, call, **kw)
    auth = STRICT.authenticate(request, now=time.time())
    assert (auth.access_key_id, auth.region, auth.service) == (AKID, "eu-west-1", "ses")


def test_the_plus_is_double_encoded_in_the_canonical_path(capture: ThreadingHTTPServer) -> None:
    request = _send(capture, "get_suppressed_destination", EmailAddress="a+tag@example.com")
    assert request.raw_path == "/v2/email/suppression/addresses/a%2Btag%40example.com"
    assert canonical_uri(request.raw_path, service="ses") == (
        "/v2/email/suppression/addresses/a%252Btag%2540example.com"
    )
    assert canonical_uri(request.raw_path, service="s3") == request.raw_path


def test_strict_mode_accepts_the_query_api_form_body(capture: ThreadingHTTPServer) -> None:
    request = _send(
        capture,
        "send_email",
        service="ses",
        Source="a@example.com",
        Destination={"ToAddresses": ["b+1@example.com"]},
        Message={"Subject": {"Data": "s p a c e"}, "Body": {"Text": {"Data": "t"}}},
    )
    assert request.raw_path == "/" and request.body.startswith(b"Action=SendEmail&")
    assert STRICT.authenticate(request, now=time.time()).service == "ses"


def test_strict_mode_accepts_a_session_token(capture: ThreadingHTTPServer) -> None:
    capture.seen.clear()  # type: ignore[attr-defined]
    _client(capture, token="session-token").get_account()  # type: ignore[attr-defined]
    (request,) = capture.seen  # type: ignore[attr-defined]
    assert (
        "x-amz-security-token"
        in parse_authorization(request.header_values("authorization")[0]).signed_headers
    )
    STRICT.authenticate(request, now=time.time())


def _tampered(request: SignedRequest) -> dict[str, SignedRequest]:
    headers = request.headers

    def set_header(name: str, value: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, value if k.lower() == name else v) for k, v in headers)

    auth = request.header_values("authorization")[0]
    flipped = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    return {
        "body": replace(request, body=request.body.replace(b"b@example.com", b"c@example.com")),
        "path": replace(request, raw_path=request.raw_path + "x"),
        "query": replace(request, raw_query="PageSize=11"),
        "method": replace(request, method="PUT"),
        "signed header": replace(request, headers=set_header("content-type", "text/plain")),
        "host": replace(request, headers=set_header("host", "evil.example:80")),
        "signature": replace(request, headers=set_header("authorization", flipped)),
    }


@pytest.mark.parametrize(
    "part", ["body", "path", "query", "method", "signed header", "host", "signature"]
)
def test_tampered_requests_are_refused(capture: ThreadingHTTPServer, part: str) -> None:
    request = _send(capture, "send_email", **CALLS["post with a json body"][1])
    STRICT.authenticate(request, now=time.time())
    with pytest.raises(SigV4Error) as caught:
        STRICT.authenticate(_tampered(request)[part], now=time.time())
    assert caught.value.failure is AuthFailure.MISMATCH
    assert caught.value.message == MISMATCH_MESSAGE
    assert caught.value.failure.rest_json == ("InvalidSignatureException", 403)
    assert caught.value.failure.query == ("SignatureDoesNotMatch", 403)


def test_a_tampered_query_on_a_get_is_refused(capture: ThreadingHTTPServer) -> None:
    request = _send(capture, "list_suppressed_destinations", PageSize=10)
    STRICT.authenticate(request, now=time.time())
    with pytest.raises(SigV4Error):
        STRICT.authenticate(replace(request, raw_query="PageSize=100"), now=time.time())


def test_the_wrong_secret_is_refused(capture: ThreadingHTTPServer) -> None:
    capture.seen.clear()  # type: ignore[attr-defined]
    _client(capture, secret="not-the-secret").get_account()  # type: ignore[attr-defined]
    (request,) = capture.seen  # type: ignore[attr-defined]
    with pytest.raises(SigV4Error) as caught:
        STRICT.authenticate(request, now=time.time())
    assert caught.value.failure is AuthFailure.MISMATCH


def test_an_unknown_access_key_is_refused_in_strict_mode_only(
    capture: ThreadingHTTPServer,
) -> None:
    capture.seen.clear()  # type: ignore[attr-defined]
    _client(capture, key="AKIDSTRANGER").get_account()  # type: ignore[attr-defined]
    (request,) = capture.seen  # type: ignore[attr-defined]
    with pytest.raises(SigV4Error) as caught:
        STRICT.authenticate(request, now=time.time())
    assert caught.value.failure.rest_json == ("UnrecognizedClientException", 403)
    assert caught.value.failure.query == ("InvalidClientTokenId", 403)
    assert caught.value.message == "The security token included in the request is invalid."
    lenient = SigV4Verifier().authenticate(request, now=0)
    assert (lenient.access_key_id, lenient.region) == ("AKIDSTRANGER", "eu-west-1")


@pytest.mark.parametrize(("offset", "word"), [(-16 * 60, "expired"), (16 * 60, "not yet current")])
def test_a_request_more_than_15_minutes_off_is_refused(
    capture: ThreadingHTTPServer, offset: int, word: str
) -> None:
    request = _send(capture, "get_account")
    signed_at = time.time()
    STRICT.authenticate(request, now=signed_at + 14 * 60)  # still within the window
    with pytest.raises(SigV4Error) as caught:
        STRICT.authenticate(request, now=signed_at - offset)
    assert caught.value.failure is AuthFailure.EXPIRED
    assert caught.value.failure.rest_json == ("InvalidSignatureException", 400)
    assert f"Signature {word}: " in caught.value.message
    assert "15 min.)" in caught.value.message


def test_lenient_mode_requires_the_header_but_not_the_signature() -> None:
    lenient = SigV4Verifier()
    unsigned = SignedRequest("GET", "/v2/email/account", "", (("Host", "x"),), b"")
    with pytest.raises(SigV4Error) as caught:
        lenient.authenticate(unsigned, now=0)
    assert caught.value.failure.rest_json == ("MissingAuthenticationTokenException", 403)
    assert caught.value.message == "Missing Authentication Token"
    assert caught.value.failure.query == ("MissingAuthenticationToken", 403)
    assert caught.value.query_message() == "Request is missing Authentication Token"
    header = (
        "AWS4-HMAC-SHA256 Credential=AKID/20261203/ap-south-1/ses/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32
    )
    signed = replace(unsigned, headers=(("Host", "x"), ("Authorization", header)))
    auth = lenient.authenticate(signed, now=0)
    assert auth.region == "ap-south-1"
    assert auth.scope == "20261203/ap-south-1/ses/aws4_request"
    assert auth.signed_headers == ("host", "x-amz-date")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "AWS4-HMAC-SHA256 Credential=ABCDEF",
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF",
        ),
        (
            "AWS AKIAI2HBJEUM7LRSTWOQ:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=AWS AKIAI2HBJEUM7LRSTWOQ:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID /20150620/us-east-1/ses/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            "'/20150620/us-east-1/ses/aws4_request' not a valid key=value pair",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/2026-12-03/us-east-1/ses/aws4_request, "
            "SignedHeaders=host, Signature=" + "0" * 64,
            "Date is not the required format: yyyyMMdd.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/ses/aws5_request, "
            "SignedHeaders=host, Signature=" + "0" * 64,
            "valid terminator: 'aws4_request', not 'aws5_request'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/ses/aws4_request, "
            "SignedHeaders=host, Signature=xyz",
            "Invalid Signature 'xyz'.",
        ),
    ],
)
def test_malformed_headers_are_incomplete_signatures(header: str, expected: str) -> None:
    with pytest.raises(SigV4Error) as caught:
        parse_authorization(header)
    assert caught.value.failure.rest_json == ("IncompleteSignatureException", 400)
    assert caught.value.failure.query == ("IncompleteSignature", 400)
    assert expected in caught.value.message


def test_host_must_be_signed_in_strict_mode(capture: ThreadingHTTPServer) -> None:
    request = _send(capture, "get_account")
    header = request.header_values("authorization")[0].replace(
        "SignedHeaders=host;", "SignedHeaders="
    )
    with pytest.raises(SigV4Error) as caught:
        STRICT.authenticate(
            replace(
                request,
                headers=tuple(
                    (k, header if k.lower() == "authorization" else v) for k, v in request.headers
                ),
            ),
            now=time.time(),
        )
    assert "must be a 'SignedHeader'" in caught.value.message


def test_canonical_query_sorts_and_reencodes() -> None:
    assert canonical_query("b=2&a=z&a=y&c") == "a=y&a=z&b=2&c="
    # A plus is a literal plus, spaces become %20, unreserved characters are left alone.
    assert canonical_query("k=a+b%20c~d") == "k=a%2Bb%20c~d"
    assert canonical_query("") == ""


def test_canonical_uri_removes_dot_segments_and_empty_segments() -> None:
    assert canonical_uri("/a/./b/../c//d/", service="ses") == "/a/c/d/"
    assert canonical_uri("", service="ses") == "/"


def test_the_verifier_never_shows_its_secrets() -> None:
    assert SECRET not in repr(STRICT)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_header_text_parses_or_fails_in_ses_words(text: str) -> None:
    with cpu_budget(0.05, "an Authorization header"):
        try:
            parse_authorization(text)
        except SigV4Error as error:
            assert error.failure in (AuthFailure.MISSING, AuthFailure.INCOMPLETE)


def test_a_huge_header_is_refused_quickly() -> None:
    with cpu_budget(0.05, "a 2.6 MB Authorization header"), pytest.raises(SigV4Error):
        parse_authorization("AWS4-HMAC-SHA256 " + "Credential=x," * 200_000)
