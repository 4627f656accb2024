"""The output-shape checker itself: it passes what SES sends and names what SES would not send."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.botocore_shapes import assert_matches_output_shape

ACCOUNT: dict[str, Any] = {
    "DedicatedIpAutoWarmupEnabled": False,
    "EnforcementStatus": "HEALTHY",
    "ProductionAccessEnabled": False,
    "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1, "SentLast24Hours": 0.0},
    "SendingEnabled": True,
    "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    "Details": {
        "MailType": "TRANSACTIONAL",
        "WebsiteURL": "https://example.com",
        "ContactLanguage": "EN",
        "UseCaseDescription": "login codes",
        "AdditionalContactEmailAddresses": [],
        "ReviewDetails": {"Status": "GRANTED", "CaseId": "1"},
    },
    "VdmAttributes": {"VdmEnabled": "DISABLED"},
}
SUPPRESSED: dict[str, Any] = {
    "SuppressedDestination": {
        "EmailAddress": "a+b@example.com",
        "Reason": "BOUNCE",
        "LastUpdateTime": 1767225600.123,
        "Attributes": {"MessageId": "m", "FeedbackId": "f"},
    }
}


def test_valid_rest_json_bodies_pass() -> None:
    assert_matches_output_shape("sesv2", "GetAccount", ACCOUNT)
    assert_matches_output_shape("sesv2", "GetSuppressedDestination", SUPPRESSED)
    assert_matches_output_shape("sesv2", "SendEmail", '{"MessageId": "0100018c-x-000000"}')
    assert_matches_output_shape("sesv2", "DeleteEmailTemplate", {})
    assert_matches_output_shape(
        "sesv2",
        "SendBulkEmail",
        {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": "m"}, {"Status": "FAILED"}]},
    )
    assert_matches_output_shape(
        "sesv2",
        "GetEmailIdentity",
        {
            "IdentityType": "DOMAIN",
            "VerifiedForSendingStatus": True,
            "Policies": {"p1": "{}"},
            "Tags": [],
            "DkimAttributes": {"Tokens": ["a" * 32], "LastKeyGenerationTimestamp": 1767225600},
        },
    )


def _mutated(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    target = copied
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


_DELETE = object()


@pytest.mark.parametrize(
    ("operation", "body", "path", "value", "message"),
    [
        (
            "GetAccount",
            ACCOUNT,
            ("SendingEnabled",),
            None,
            "GetAccountResponse.SendingEnabled: null",
        ),
        ("GetAccount", ACCOUNT, ("SendingEnabled",), "true", "expected a boolean, got str 'true'"),
        ("GetAccount", ACCOUNT, ("SendQuota", "MaxSendRate"), True, "expected a double, got bool"),
        ("GetAccount", ACCOUNT, ("SendQuota", "MaxSendRate"), "1", "expected a double, got str"),
        ("GetAccount", ACCOUNT, ("Sandbox",), True, "'Sandbox' is not a member of GetAccount"),
        (
            "GetAccount",
            ACCOUNT,
            ("VdmAttributes", "VdmEnabled"),
            _DELETE,
            "'VdmEnabled' is missing",
        ),
        ("GetAccount", ACCOUNT, ("Details", "MailType"), "SPAM", "'SPAM' is not one of"),
        (
            "GetAccount",
            ACCOUNT,
            ("SuppressionAttributes", "SuppressedReasons"),
            ["BOUNCE", 3],
            "SuppressedReasons[1]: expected a string",
        ),
        (
            "GetSuppressedDestination",
            SUPPRESSED,
            ("SuppressedDestination", "LastUpdateTime"),
            "2026-01-01T00:00:00Z",
            "expected a timestamp as epoch seconds (a number)",
        ),
        (
            "GetSuppressedDestination",
            SUPPRESSED,
            ("SuppressedDestination", "Reason"),
            _DELETE,
            "SuppressedDestination: required member 'Reason' is missing",
        ),
        (
            "GetSuppressedDestination",
            SUPPRESSED,
            ("SuppressedDestination",),
            _DELETE,
            "required member 'SuppressedDestination' is missing",
        ),
        (
            "GetSuppressedDestination",
            SUPPRESSED,
            ("SuppressedDestination",),
            [],
            "expected an object, got list",
        ),
    ],
)
def test_bodies_ses_would_not_send_fail_with_the_path(
    operation: str, body: dict[str, Any], path: tuple[str, ...], value: Any, message: str
) -> None:
    assert_matches_output_shape("sesv2", operation, body)  # the unmutated body passes
    with pytest.raises(AssertionError) as caught:
        assert_matches_output_shape("sesv2", operation, _mutated(body, path, value))
    assert message in str(caught.value)


def test_lists_maps_integers_and_empty_outputs() -> None:
    with pytest.raises(AssertionError, match=r"ConfigurationSets\[0\]: expected a string"):
        assert_matches_output_shape("sesv2", "ListConfigurationSets", {"ConfigurationSets": [1]})
    with pytest.raises(AssertionError, match=r"Policies\['p'\]: expected a string"):
        assert_matches_output_shape("sesv2", "GetEmailIdentity", {"Policies": {"p": 1}})
    with pytest.raises(AssertionError, match="expected a long"):
        assert_matches_output_shape(
            "sesv2", "GetConfigurationSet", {"DeliveryOptions": {"MaxDeliverySeconds": 300.5}}
        )
    with pytest.raises(AssertionError, match="not a member"):
        assert_matches_output_shape("sesv2", "DeleteEmailTemplate", {"Deleted": True})


NS = "http://ses.amazonaws.com/doc/2010-12-01/"


def _query(operation: str, result: str, *, request_id: str = "r-1") -> str:
    return (
        f'<{operation}Response xmlns="{NS}">\n  <{operation}Result>{result}</{operation}Result>\n'
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</{operation}Response>\n"
    )


def test_valid_query_documents_pass() -> None:
    assert_matches_output_shape("ses", "SendEmail", _query("SendEmail", "<MessageId>m</MessageId>"))
    assert_matches_output_shape(
        "ses",
        "GetSendQuota",
        _query(
            "GetSendQuota",
            "<Max24HourSend>200.0</Max24HourSend><MaxSendRate>1.0</MaxSendRate>"
            "<SentLast24Hours>0.0</SentLast24Hours>",
        ),
    )
    assert_matches_output_shape(
        "ses",
        "GetIdentityVerificationAttributes",
        _query(
            "GetIdentityVerificationAttributes",
            "<VerificationAttributes><entry><key>a@example.com</key><value>"
            "<VerificationStatus>Success</VerificationStatus></value></entry>"
            "</VerificationAttributes>",
        ),
    )
    assert_matches_output_shape(
        "ses",
        "ListTemplates",
        _query(
            "ListTemplates",
            "<TemplatesMetadata><member><Name>t</Name>"
            "<CreatedTimestamp>2026-01-01T00:00:00.123Z</CreatedTimestamp></member>"
            "</TemplatesMetadata>",
        ),
    )
    assert_matches_output_shape("ses", "VerifyEmailIdentity", _query("VerifyEmailIdentity", ""))


@pytest.mark.parametrize(
    ("operation", "document", "message"),
    [
        ("SendEmail", _query("SendEmail", ""), "required member <MessageId> is missing"),
        (
            "SendEmail",
            _query("SendEmail", "<MessageId>m</MessageId><X>1</X>"),
            "<X> is not a member",
        ),
        ("SendEmail", _query("SendRawEmail", "<MessageId>m</MessageId>"), "the root element is"),
        ("SendEmail", _query("SendEmail", "<MessageId>m</MessageId>", request_id=""), "RequestId"),
        (
            "GetSendQuota",
            _query("GetSendQuota", "<MaxSendRate>fast</MaxSendRate>"),
            "expected a double, got 'fast'",
        ),
        (
            "ListIdentities",
            _query("ListIdentities", "<Identities><item>a</item></Identities>"),
            "list items are <member>",
        ),
        (
            "GetIdentityVerificationAttributes",
            _query(
                "GetIdentityVerificationAttributes",
                "<VerificationAttributes><entry><key>a</key><value>"
                "<VerificationStatus>Verified</VerificationStatus></value></entry>"
                "</VerificationAttributes>",
            ),
            "'Verified' is not one of",
        ),
        (
            "ListTemplates",
            _query(
                "ListTemplates",
                "<TemplatesMetadata><member><CreatedTimestamp>1767225600</CreatedTimestamp>"
                "</member></TemplatesMetadata>",
            ),
            "is not an ISO 8601 timestamp",
        ),
    ],
)
def test_query_documents_ses_would_not_send_fail(
    operation: str, document: str, message: str
) -> None:
    with pytest.raises(AssertionError) as caught:
        assert_matches_output_shape("ses", operation, document)
    assert message in str(caught.value)
