"""SES v1 (the query API on `POST /`) through boto3's `ses` client, in process; XML bodies
checked against botocore's output shapes; `GET /` still the inbox."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from support.botocore_shapes import assert_matches_output_shape
from support.emulate import SIGNED_HEADER, last_message

from mailyard.web.testing.inprocess import InProcessServer


def shape(wire: list[httpx.Response], operation: str) -> None:
    answer = wire[-1]
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.headers["x-amzn-RequestId"]
    assert_matches_output_shape("ses", operation, answer.text)


def test_send_email(
    ses: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    sent = ses.send_email(
        Source="Acme <noreply@example.com>",
        Destination={"ToAddresses": ["jane@example.com"], "CcAddresses": ["cc@example.com"]},
        Message={
            "Subject": {"Data": "Your code"},
            "Body": {"Text": {"Data": "123456"}, "Html": {"Data": "<b>123456</b>"}},
        },
        ReplyToAddresses=["help@example.com"],
        Tags=[{"Name": "flow", "Value": "login"}],
    )
    shape(wire, "SendEmail")
    record, raw = last_message(server, akid)
    assert record.envelope.source == "ses-v1"
    assert record.envelope.provider_id == sent["MessageId"]
    assert record.envelope.rcpt_to == ("jane@example.com", "cc@example.com")
    assert json.loads(record.envelope.provider_json)["tags"] == [["flow", "login"]]
    assert b"Reply-To: help@example.com" in raw


def test_send_raw_email_reads_the_headers_unless_given(
    ses: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    raw = (
        b"From: App <app@example.com>\r\nTo: a@example.com\r\nCc: b@example.com\r\n"
        b"Bcc: c@example.com\r\nSubject: raw\r\n\r\nhello\r\n"
    )
    ses.send_raw_email(RawMessage={"Data": raw})
    shape(wire, "SendRawEmail")
    record, stored = last_message(server, akid)
    assert stored == raw
    assert record.envelope.mail_from == "app@example.com"
    assert record.envelope.rcpt_to == ("a@example.com", "b@example.com", "c@example.com")
    ses.send_raw_email(
        Source="bounce-handler@example.com",
        Destinations=["only@example.com"],
        RawMessage={"Data": raw},
    )
    record, _ = last_message(server, akid)
    assert record.envelope.rcpt_to == ("only@example.com",)
    assert record.envelope.mail_from == "bounce-handler@example.com"


def test_quota_identities_and_templates(
    ses: Any, wire: list[httpx.Response], server: InProcessServer, akid: str
) -> None:
    quota = ses.get_send_quota()
    shape(wire, "GetSendQuota")
    assert quota["Max24HourSend"] == -1.0
    ses.verify_email_identity(EmailAddress="jane@example.com")
    shape(wire, "VerifyEmailIdentity")
    tokens = ses.verify_domain_dkim(Domain="example.org")["DkimTokens"]
    shape(wire, "VerifyDomainDkim")
    assert len(tokens) == 3
    token = ses.verify_domain_identity(Domain="example.org")["VerificationToken"]
    shape(wire, "VerifyDomainIdentity")
    assert token
    listed = ses.list_identities()
    shape(wire, "ListIdentities")
    assert sorted(listed["Identities"]) == ["example.org", "jane@example.com"]
    assert ses.list_identities(IdentityType="Domain")["Identities"] == ["example.org"]
    attributes = ses.get_identity_verification_attributes(Identities=["example.org", "nope@x.com"])
    shape(wire, "GetIdentityVerificationAttributes")
    assert attributes["VerificationAttributes"] == {
        "example.org": {"VerificationStatus": "Success", "VerificationToken": token}
    }
    assert ses.list_verified_email_addresses()["VerifiedEmailAddresses"] == ["jane@example.com"]
    ses.delete_identity(Identity="jane@example.com")
    assert ses.list_identities()["Identities"] == ["example.org"]
    assert ses.get_account_sending_enabled()["Enabled"] is True
    shape(wire, "GetAccountSendingEnabled")
    # templates are shared with v2
    ses.create_template(
        Template={"TemplateName": "t", "SubjectPart": "Hi {{n}}", "TextPart": "x\r\ny {{n}}"}
    )
    with pytest.raises(ses.exceptions.AlreadyExistsException):
        ses.create_template(Template={"TemplateName": "t", "SubjectPart": "s"})
    with pytest.raises(ses.exceptions.InvalidTemplateException):
        ses.create_template(Template={"TemplateName": "u", "SubjectPart": "{{#if}}"})
    assert ses.get_template(TemplateName="t")["Template"]["SubjectPart"] == "Hi {{n}}"
    shape(wire, "GetTemplate")
    assert [t["Name"] for t in ses.list_templates()["TemplatesMetadata"]] == ["t"]
    shape(wire, "ListTemplates")
    rendered = ses.test_render_template(TemplateName="t", TemplateData='{"n": "Jo"}')
    shape(wire, "TestRenderTemplate")
    assert "\r\n" in rendered["RenderedTemplate"]  # CR escaped as &#13; survives the XML parser
    with pytest.raises(ses.exceptions.MissingRenderingAttributeException):
        ses.test_render_template(TemplateName="t", TemplateData="{}")
    with pytest.raises(ses.exceptions.TemplateDoesNotExistException):
        ses.get_template(TemplateName="missing")
    sent = ses.send_templated_email(
        Source="a@example.com",
        Destination={"ToAddresses": ["b@example.com"]},
        Template="t",
        TemplateData='{"n": "Jo"}',
    )
    record, _ = last_message(server, akid)
    assert record.envelope.provider_id == sent["MessageId"]
    assert record.summary.subject == "Hi Jo"


def test_configuration_sets(ses: Any, wire: list[httpx.Response]) -> None:
    ses.create_configuration_set(ConfigurationSet={"Name": "cs1"})
    shape(wire, "CreateConfigurationSet")
    with pytest.raises(ses.exceptions.ConfigurationSetAlreadyExistsException):
        ses.create_configuration_set(ConfigurationSet={"Name": "cs1"})
    assert [c["Name"] for c in ses.list_configuration_sets()["ConfigurationSets"]] == ["cs1"]
    shape(wire, "ListConfigurationSets")
    ses.describe_configuration_set(ConfigurationSetName="cs1")
    shape(wire, "DescribeConfigurationSet")
    ses.delete_configuration_set(ConfigurationSetName="cs1")
    with pytest.raises(ses.exceptions.ConfigurationSetDoesNotExistException):
        ses.send_email(
            Source="a@example.com",
            Destination={"ToAddresses": ["b@example.com"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
            ConfigurationSetName="cs1",
        )


def test_refusals_are_xml_errors(ses: Any, api: httpx.Client, akid: str) -> None:
    with pytest.raises(ses.exceptions.MessageRejected) as rejected:
        ses.send_email(
            Source="a@example.com",
            Destination={"ToAddresses": ["what@sim.mailyard.test"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert rejected.value.response["Error"]["Type"] == "Sender"
    assert rejected.value.response["ResponseMetadata"]["RequestId"]
    unsigned = api.post("/", data={"Action": "GetSendQuota"})
    assert unsigned.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in unsigned.text
    unknown = api.post(
        "/",
        data={"Action": "Frobnicate"},
        headers={"Authorization": SIGNED_HEADER.format(akid=akid)},
    )
    assert unknown.status_code == 400 and "<Code>InvalidAction</Code>" in unknown.text


def test_get_slash_is_still_the_inbox(api: httpx.Client) -> None:
    page = api.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
