"""SES v2 through boto3's `sesv2` client, in process: every operation, the errors each SDK must
raise as its modelled exception, and every body checked against botocore's output shape."""

from __future__ import annotations

import base64
import email
import json
from email import policy
from typing import Any

import botocore.endpoint
import httpx
import pytest
from support.botocore_shapes import assert_matches_output_shape
from support.emulate import SIGNED_HEADER, last_message

from mailyard.web.testing.inprocess import InProcessServer


def shape(wire: list[httpx.Response], operation: str) -> dict[str, Any]:
    """The last answer's body, checked against the model's output shape of `operation`."""
    answer = wire[-1]
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-amzn-RequestId"]
    body = answer.json()
    assert_matches_output_shape("sesv2", operation, body)
    return body


def simple(subject: str = "Your code", text: str = "123456") -> dict[str, Any]:
    return {"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}}


def test_send_email_simple_is_stored_with_its_ses_message_id(
    sesv2: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    sent = sesv2.send_email(
        FromEmailAddress="Acme <noreply@example.com>",
        Destination={"ToAddresses": ["jane@example.com"], "BccAddresses": ["audit@example.com"]},
        ReplyToAddresses=["support@example.com"],
        Content={
            "Simple": {
                "Subject": {"Data": "Your code"},
                "Body": {"Text": {"Data": "123456"}, "Html": {"Data": "<b>123456</b>"}},
                "Headers": [{"Name": "X-Flow", "Value": "login"}],
                "Attachments": [{"FileName": "a.txt", "RawContent": b"hello"}],
            }
        },
        EmailTags=[{"Name": "flow", "Value": "login"}],
    )
    shape(wire, "SendEmail")
    message_id = sent["MessageId"]
    assert message_id.startswith("0100") and message_id.endswith("-000000")
    record, raw = last_message(server, akid)
    assert record.envelope.source == "ses"
    assert record.envelope.provider_id == message_id
    assert set(record.envelope.rcpt_to) == {"jane@example.com", "audit@example.com"}
    facts = json.loads(record.envelope.provider_json)
    assert facts["tags"] == [["flow", "login"]]
    assert facts["region"] == "us-east-1"
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == f"<{message_id}@email.amazonses.com>"
    assert parsed["Reply-To"] == "support@example.com"
    assert parsed["X-Flow"] == "login"
    assert "Bcc" not in parsed
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/plain",
    ]


def test_send_email_raw_takes_recipients_from_destination_then_headers(
    sesv2: Any, server: InProcessServer, akid: str
) -> None:
    raw = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: raw\r\n\r\nbody\r\n"
    sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["b@example.com", "hidden@example.com"]},
        Content={"Raw": {"Data": raw}},
    )
    record, stored = last_message(server, akid)
    assert stored == raw  # raw content is evidence: stored as given
    assert record.envelope.rcpt_to == ("b@example.com", "hidden@example.com")
    sesv2.send_email(Content={"Raw": {"Data": raw}})
    record, _ = last_message(server, akid)
    assert record.envelope.rcpt_to == ("b@example.com",)
    assert record.envelope.mail_from == "a@example.com"


def test_template_crud_render_and_send(
    sesv2: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    content = {"Subject": "Hi {{name}}", "Text": "Code {{code}}", "Html": "<p>{{code}}</p>"}
    sesv2.create_email_template(TemplateName="otp", TemplateContent=content)
    shape(wire, "CreateEmailTemplate")
    with pytest.raises(sesv2.exceptions.AlreadyExistsException):
        sesv2.create_email_template(TemplateName="otp", TemplateContent=content)
    got = sesv2.get_email_template(TemplateName="otp")
    shape(wire, "GetEmailTemplate")
    assert got["TemplateContent"] == content
    listed = sesv2.list_email_templates()
    shape(wire, "ListEmailTemplates")
    assert [t["TemplateName"] for t in listed["TemplatesMetadata"]] == ["otp"]
    rendered = sesv2.test_render_email_template(
        TemplateName="otp", TemplateData=json.dumps({"name": "Jane", "code": "42"})
    )
    shape(wire, "TestRenderEmailTemplate")
    assert "Subject: Hi Jane" in rendered["RenderedTemplate"]
    with pytest.raises(sesv2.exceptions.BadRequestException) as missing:
        sesv2.test_render_email_template(TemplateName="otp", TemplateData='{"name": "x"}')
    assert missing.value.response["Error"]["Message"] == (
        "Attribute 'code' is not present in the rendering data."
    )
    sesv2.update_email_template(
        TemplateName="otp", TemplateContent={**content, "Subject": "Code for {{name}}"}
    )
    sent = sesv2.send_email(
        FromEmailAddress="noreply@example.com",
        Destination={"ToAddresses": ["jane@example.com"]},
        Content={
            "Template": {
                "TemplateName": "otp",
                "TemplateData": json.dumps({"name": "Jane", "code": "777"}),
            }
        },
    )
    record, raw = last_message(server, akid)
    assert record.envelope.provider_id == sent["MessageId"]
    assert record.summary.subject == "Code for Jane"
    assert b"Code 777" in raw
    sesv2.delete_email_template(TemplateName="otp")
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.get_email_template(TemplateName="otp")
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.send_email(
            FromEmailAddress="noreply@example.com",
            Destination={"ToAddresses": ["jane@example.com"]},
            Content={"Template": {"TemplateName": "otp", "TemplateData": "{}"}},
        )


def test_a_missing_template_variable_is_accepted_and_not_sent(
    sesv2: Any, server: InProcessServer, akid: str
) -> None:
    sesv2.create_email_template(
        TemplateName="t", TemplateContent={"Subject": "s", "Text": "{{favoritecolor}}"}
    )
    before = server.services.store.messages.totals(akid)[0]  # type: ignore[union-attr]
    sent = sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["b@example.com"]},
        Content={"Template": {"TemplateName": "t", "TemplateData": "{}"}},
    )
    assert sent["MessageId"]
    assert server.services.store.messages.totals(akid)[0] == before  # type: ignore[union-attr]


def test_send_bulk_email_uses_each_entrys_data_or_the_default(
    sesv2: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    sesv2.create_email_template(
        TemplateName="hello", TemplateContent={"Subject": "Hello {{name}}", "Text": "hi"}
    )
    result = sesv2.send_bulk_email(
        FromEmailAddress="a@example.com",
        DefaultContent={"Template": {"TemplateName": "hello", "TemplateData": '{"name": "all"}'}},
        BulkEmailEntries=[
            {
                "Destination": {"ToAddresses": ["one@example.com"]},
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": '{"name": "One"}'}
                },
            },
            {"Destination": {"ToAddresses": ["two@example.com"]}},
            {"Destination": {"ToAddresses": ["bad@sim.mailyard.test"]}},
        ],
    )
    shape(wire, "SendBulkEmail")
    statuses = [r["Status"] for r in result["BulkEmailEntryResults"]]
    assert statuses == ["SUCCESS", "SUCCESS", "MESSAGE_REJECTED"]
    assert "unknown mailyard scenario" in result["BulkEmailEntryResults"][2]["Error"]
    page = server.services.store.messages.page(mailbox=akid)  # type: ignore[union-attr]
    assert sorted(m.subject for m in page.messages) == ["Hello One", "Hello all"]


def test_identities_in_both_list_forms(
    sesv2: Any, wire: list[httpx.Response], api: httpx.Client, akid: str
) -> None:
    created = sesv2.create_email_identity(EmailIdentity="example.com")
    shape(wire, "CreateEmailIdentity")
    tokens = created["DkimAttributes"]["Tokens"]
    assert len(tokens) == 3 and all(len(t) == 32 and t.isalnum() and t.islower() for t in tokens)
    sesv2.create_email_identity(EmailIdentity="jane@other.example")
    with pytest.raises(sesv2.exceptions.AlreadyExistsException):
        sesv2.create_email_identity(EmailIdentity="Example.com")
    got = sesv2.get_email_identity(EmailIdentity="example.com")
    shape(wire, "GetEmailIdentity")
    assert got["IdentityType"] == "DOMAIN" and got["DkimAttributes"]["Tokens"] == tokens
    sesv2.get_email_identity(EmailIdentity="jane@other.example")
    shape(wire, "GetEmailIdentity")
    listed = sesv2.list_email_identities(PageSize=1)
    shape(wire, "ListEmailIdentities")
    assert len(listed["EmailIdentities"]) == 1 and listed["NextToken"]
    rest = sesv2.list_email_identities(NextToken=listed["NextToken"])
    names = [i["IdentityName"] for i in listed["EmailIdentities"] + rest["EmailIdentities"]]
    assert sorted(names) == ["example.com", "jane@other.example"]
    # The POST form newer botocore and the JS SDK send, with its Filter.
    answer = api.post(
        "/v2/email/list-identities",
        json={"Filter": {"IDENTITY_TYPE": "DOMAIN"}},
        headers={"Authorization": SIGNED_HEADER.format(akid=akid)},
    )
    assert_matches_output_shape("sesv2", "ListEmailIdentities", answer.json())
    assert [i["IdentityName"] for i in answer.json()["EmailIdentities"]] == ["example.com"]
    sesv2.delete_email_identity(EmailIdentity="example.com")
    with pytest.raises(sesv2.exceptions.NotFoundException) as gone:
        sesv2.get_email_identity(EmailIdentity="example.com")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_configuration_sets_and_event_destinations(
    sesv2: Any, wire: list[httpx.Response], api: httpx.Client, akid: str
) -> None:
    sesv2.create_configuration_set(
        ConfigurationSetName="cs1", DeliveryOptions={"TlsPolicy": "REQUIRE"}
    )
    with pytest.raises(sesv2.exceptions.AlreadyExistsException):
        sesv2.create_configuration_set(ConfigurationSetName="cs1")
    got = sesv2.get_configuration_set(ConfigurationSetName="cs1")
    shape(wire, "GetConfigurationSet")
    assert got["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    assert sesv2.list_configuration_sets()["ConfigurationSets"] == ["cs1"]
    shape(wire, "ListConfigurationSets")
    answer = api.post(
        "/v2/email/list-configuration-sets",
        json={},
        headers={"Authorization": SIGNED_HEADER.format(akid=akid)},
    )
    assert answer.json()["ConfigurationSets"] == ["cs1"]
    destination = {
        "Enabled": True,
        "MatchingEventTypes": ["BOUNCE", "DELIVERY"],
        "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"},
    }
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="cs1", EventDestinationName="d1", EventDestination=destination
    )
    listed = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="cs1")
    shape(wire, "GetConfigurationSetEventDestinations")
    assert listed["EventDestinations"] == [{"Name": "d1", **destination}]
    sesv2.update_configuration_set_event_destination(
        ConfigurationSetName="cs1",
        EventDestinationName="d1",
        EventDestination={**destination, "Enabled": False},
    )
    sesv2.delete_configuration_set_event_destination(
        ConfigurationSetName="cs1", EventDestinationName="d1"
    )
    assert (
        sesv2.get_configuration_set_event_destinations(ConfigurationSetName="cs1")[
            "EventDestinations"
        ]
        == []
    )
    # a send through a paused set, then through a missing one
    sesv2.put_configuration_set_sending_options(ConfigurationSetName="cs1", SendingEnabled=False)
    with pytest.raises(sesv2.exceptions.SendingPausedException):
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Content=simple(),
            ConfigurationSetName="cs1",
        )
    sesv2.delete_configuration_set(ConfigurationSetName="cs1")
    with pytest.raises(sesv2.exceptions.NotFoundException) as missing:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Content=simple(),
            ConfigurationSetName="cs1",
        )
    assert missing.value.response["Error"]["Message"] == "Configuration set <cs1> does not exist."


def test_suppression_list_with_plus_addresses(
    sesv2: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    address = "jane+promo@example.com"
    sesv2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    got = sesv2.get_suppressed_destination(EmailAddress=address)
    shape(wire, "GetSuppressedDestination")
    assert got["SuppressedDestination"]["Reason"] == "BOUNCE"
    sesv2.put_suppressed_destination(EmailAddress=address, Reason="COMPLAINT")
    listed = sesv2.list_suppressed_destinations(Reasons=["COMPLAINT"])
    shape(wire, "ListSuppressedDestinations")
    assert [s["EmailAddress"] for s in listed["SuppressedDestinationSummaries"]] == [address]
    assert (
        sesv2.list_suppressed_destinations(Reasons=["BOUNCE"])["SuppressedDestinationSummaries"]
        == []
    )
    # the simulator's list is the same list
    assert server.services.store.deliveries.suppression(akid, address) is not None  # type: ignore[union-attr]
    sesv2.delete_suppressed_destination(EmailAddress=address)
    with pytest.raises(sesv2.exceptions.NotFoundException) as gone:
        sesv2.get_suppressed_destination(EmailAddress=address)
    assert gone.value.response["Error"]["Message"] == (
        f"Email address {address} does not exist on your suppression list."
    )
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.delete_suppressed_destination(EmailAddress=address)
    with pytest.raises(sesv2.exceptions.BadRequestException):
        sesv2.put_suppressed_destination(EmailAddress=address, Reason="NOPE")


def test_account_and_its_refusals(
    sesv2: Any, wire: list[httpx.Response], api: httpx.Client, akid: str
) -> None:
    account = sesv2.get_account()
    shape(wire, "GetAccount")
    assert account["SendQuota"]["Max24HourSend"] == -1
    assert account["ProductionAccessEnabled"] is True and account["SendingEnabled"] is True
    sesv2.put_account_sending_attributes(SendingEnabled=False)
    assert sesv2.get_account()["SendingEnabled"] is False
    with pytest.raises(sesv2.exceptions.SendingPausedException):
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Content=simple(),
        )
    sesv2.put_account_sending_attributes(SendingEnabled=True)
    sesv2.put_account_suppression_attributes(SuppressedReasons=["BOUNCE"])
    assert sesv2.get_account()["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE"]
    suspend = api.put(
        "/v2/email/account/mailyard-enforcement",
        json={"EnforcementStatus": "SHUTDOWN"},
        headers={"Authorization": SIGNED_HEADER.format(akid=akid)},
    )
    assert suspend.status_code == 200
    with pytest.raises(sesv2.exceptions.AccountSuspendedException):
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Content=simple(),
        )


def test_bad_requests_are_bad_request_exceptions(sesv2: Any) -> None:
    with pytest.raises(sesv2.exceptions.BadRequestException) as two:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Content={**simple(), "Raw": {"Data": b"x"}},
        )
    assert "exactly one of Simple, Raw or Template" in str(two.value)
    with pytest.raises(sesv2.exceptions.BadRequestException):
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["not-an-address"]},
            Content=simple(),
        )
    with pytest.raises(sesv2.exceptions.MessageRejected) as many:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": [f"u{i}@example.com" for i in range(51)]},
            Content=simple(),
        )
    assert "exceeds 50" in str(many.value)


def test_unknown_scenarios_are_rejected_and_fail_n_times_is_throttled(
    sesv2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's own retries, without its backoff's seconds of sleep
    waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", waits.append)
    with pytest.raises(sesv2.exceptions.MessageRejected) as unknown:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["nonsense@sim.mailyard.test"]},
            Content=simple(),
        )
    assert "unknown mailyard scenario 'nonsense'" in str(unknown.value)
    # botocore's legacy mode tries 5 times: throttle-4x gets through inside one call ...
    sent = sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["throttle-4x@sim.mailyard.test"]},
        Content=simple(),
    )
    assert sent["ResponseMetadata"]["RetryAttempts"] == 4
    # ... throttle-5x reaches the application as TooManyRequestsException
    with pytest.raises(sesv2.exceptions.TooManyRequestsException) as throttled:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["throttle-5x@sim.mailyard.test"]},
            Content=simple(),
        )
    assert throttled.value.response["Error"]["Message"] == "Maximum sending rate exceeded."
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert len(waits) == 8  # 4 retries in each call


def test_nodemailers_verify_probe_is_rejected(sesv2: Any) -> None:
    with pytest.raises(sesv2.exceptions.MessageRejected) as probe:
        sesv2.send_email(
            FromEmailAddress="invalid@invalid",
            Destination={"ToAddresses": ["invalid@invalid"]},
            Content={"Raw": {"Data": b"From: invalid@invalid\r\nTo: invalid@invalid\r\n\r\nx"}},
        )
    assert str(probe.value).endswith(
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: invalid@invalid"
    )


def test_errors_off_the_map_are_still_ses_errors(api: httpx.Client, akid: str) -> None:
    unsigned = api.get("/v2/email/account")
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"].startswith("MissingAuthenticationTokenException")
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    unknown = api.get(
        "/v2/email/nothing-here", headers={"Authorization": SIGNED_HEADER.format(akid=akid)}
    )
    assert unknown.status_code == 404
    assert unknown.headers["x-amzn-ErrorType"].startswith("UnknownOperationException")
    not_json = api.post(
        "/v2/email/outbound-emails",
        content=b"{nope",
        headers={"Authorization": SIGNED_HEADER.format(akid=akid)},
    )
    assert not_json.status_code == 400
    assert not_json.headers["x-amzn-ErrorType"].startswith("BadRequestException")


def test_raw_attachment_bytes_survive(sesv2: Any, server: InProcessServer, akid: str) -> None:
    payload = bytes(range(256))
    sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["b@example.com"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Ünïcode subject"},
                "Body": {"Text": {"Data": "héllo"}},
                "Attachments": [{"FileName": "bin.dat", "RawContent": payload}],
            }
        },
    )
    record, raw = last_message(server, akid)
    assert record.summary.subject == "Ünïcode subject"
    parsed = email.message_from_bytes(raw, policy=policy.default)
    attachment = next(p for p in parsed.walk() if p.get_filename() == "bin.dat")
    assert attachment.get_payload(decode=True) == payload
    assert base64.b64encode(payload)  # the blob went through JSON as base64


def test_a_callers_header_replaces_the_messages_own_never_doubles_it(
    sesv2: Any, server: InProcessServer, akid: str
) -> None:
    sent = sesv2.send_email(
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["r@example.com"]},
        Content={
            **simple(),
            "Simple": {
                **simple()["Simple"],
                "Headers": [
                    {"Name": "Subject", "Value": "other"},
                    {"Name": "From", "Value": "Team <team@example.com>"},
                    {"Name": "Message-ID", "Value": "<mine@app>"},
                    {"Name": "Date", "Value": "Mon, 01 Jan 2001 00:00:00 +0000"},
                    {"Name": "X-Flow", "Value": "login"},
                ],
            },
        },
    )
    _, raw = last_message(server, akid)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    names = [line.split(":", 1)[0].lower() for line in head.split("\r\n") if ":" in line]
    for once in ("from", "subject", "date", "message-id"):
        assert names.count(once) == 1, head  # RFC 5322 3.6: at most once
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "other" and parsed["From"] == "Team <team@example.com>"
    assert parsed["X-Flow"] == "login"
    # SES "overrides the header with its own value": Message-ID and Date stay SES's.
    assert parsed["Message-ID"] == f"<{sent['MessageId']}@email.amazonses.com>"
    assert "2001" not in parsed["Date"]


def test_a_bulk_entrys_headers_replace_the_templates_of_the_same_name(
    sesv2: Any, server: InProcessServer, akid: str
) -> None:
    sesv2.create_email_template(TemplateName="rp", TemplateContent={"Subject": "s", "Text": "t"})
    sesv2.send_bulk_email(
        FromEmailAddress="a@example.com",
        DefaultContent={
            "Template": {
                "TemplateName": "rp",
                "TemplateData": "{}",
                "Headers": [{"Name": "X-A", "Value": "default"}, {"Name": "X-B", "Value": "b"}],
            }
        },
        BulkEmailEntries=[
            {
                "Destination": {"ToAddresses": ["one@example.com"]},
                "ReplacementHeaders": [
                    {"Name": "x-a", "Value": "entry"},
                    {"Name": "X-C", "Value": "c"},
                ],
            }
        ],
    )
    _, raw = last_message(server, akid)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_all("X-A") == ["entry"]
    assert parsed["X-B"] == "b" and parsed["X-C"] == "c"


@pytest.mark.parametrize(
    ("name", "value"), [("fl ow!", "login"), ("flow", "lo:gin"), ("x" * 257, "v")]
)
def test_a_message_tag_outside_the_models_characters_is_a_bad_request(
    sesv2: Any, name: str, value: str
) -> None:
    with pytest.raises(sesv2.exceptions.BadRequestException) as refused:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["r@example.com"]},
            Content=simple(),
            EmailTags=[{"Name": name, "Value": value}],
        )
    assert "tag" in str(refused.value) and "underscores" in str(refused.value)


def test_a_non_ascii_address_is_refused_in_words_not_a_codec_error(sesv2: Any) -> None:
    with pytest.raises(sesv2.exceptions.BadRequestException) as refused:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["jürgen@example.com"]},
            Content=simple(),
        )
    assert "codec" not in str(refused.value)
    assert "jürgen@example.com" in str(refused.value)


def test_sent_last_24_hours_counts_sends_with_no_limits_set(sesv2: Any, ses: Any) -> None:
    for to in (["a@example.com", "b@example.com"], ["success@simulator.amazonses.com"]):
        sesv2.send_email(
            FromEmailAddress="app@example.com", Destination={"ToAddresses": to}, Content=simple()
        )
    # Two recipients count two; the mailbox simulator does not count (SES: A6).
    assert sesv2.get_account()["SendQuota"]["SentLast24Hours"] == 2.0
    assert ses.get_send_quota()["SentLast24Hours"] == 2.0


@pytest.mark.parametrize(
    ("field", "value"), [("ContentDisposition", "BOGUS"), ("ContentTransferEncoding", "UUENCODE")]
)
def test_an_attachment_enum_outside_the_model_is_a_bad_request(
    sesv2: Any, field: str, value: str
) -> None:
    attachment = {"FileName": "a.txt", "RawContent": b"hi", field: value}
    content = {"Simple": {**simple()["Simple"], "Attachments": [attachment]}}
    # boto3 checks enums only when asked to; the service must refuse them itself.
    with pytest.raises(sesv2.exceptions.BadRequestException) as refused:
        sesv2.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["r@example.com"]},
            Content=content,
        )
    assert f"Attachments[0].{field}" in str(refused.value)
