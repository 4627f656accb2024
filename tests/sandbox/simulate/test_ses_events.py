"""SES event JSON against the SES developer guide's examples and observed payloads, field by field.

Every expected document below is copied from providers.md C4 (itself from the SES developer guide
`event-publishing-retrieving-sns-examples.md`, `notification-examples.md`, and production payloads
quoted there). Only `feedbackId` differs by nature (it is drawn from our seeded RNG); its shape
and its timestamp part are checked instead.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime

import pytest

from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.simulate.outcomes import (
    Bounce,
    Complaint,
    Delay,
    Delivery,
    Engagement,
    Kind,
    Reject,
    Step,
)
from mailyard.sandbox.simulate.ses_events import (
    RenderingFailure,
    combine,
    event_json,
    feedback_notification,
    publishing_event,
)
from mailyard.sandbox.simulate.ses_mail import (
    CommonHeaders,
    SESMail,
    feedback_id,
    ses_message_id,
)

EXAMPLE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
ARN = "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com"
FEEDBACK = re.compile(
    r"[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-000000"
)


def t(text: str) -> float:
    """Clock seconds from an ISO time in the examples."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def check_feedback(event: dict[str, object], key: str, at: str) -> dict[str, object]:
    """Pop and check `feedbackId`: SES's shape, its hex part the event time in milliseconds."""
    body = event[key]
    assert isinstance(body, dict)
    fid = body.pop("feedbackId")
    assert FEEDBACK.fullmatch(fid), fid
    assert int(fid[4:16], 16) == round(t(at) * 1000)
    return event


def guide_mail(accepted: str, headers: tuple[tuple[str, str], ...], **kw: object) -> SESMail:
    defaults: dict[str, object] = dict(
        message_id=EXAMPLE_ID,
        accepted=t(accepted),
        source="sender@example.com",
        source_arn=ARN,
        sending_account_id="123456789012",
        destination=("recipient@example.com",),
        headers=headers,
        common_headers=CommonHeaders(
            from_=("sender@example.com",),
            to=("recipient@example.com",),
            message_id=EXAMPLE_ID,
            subject="Message sent from Amazon SES",
        ),
        configuration_set="ConfigSet",
        source_ip="192.0.2.0",
        caller_identity="ses_user",
    )
    defaults.update(kw)
    return SESMail(**defaults)  # type: ignore[arg-type]


SEND_HEADERS = (
    ("From", "sender@example.com"),
    ("To", "recipient@example.com"),
    ("Subject", "Message sent from Amazon SES"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed;  boundary="----=_Part_0_716996660.1476421336341"'),
    ("X-SES-MESSAGE-TAGS", "myCustomTag1=myCustomTagValue1, myCustomTag2=myCustomTagValue2"),
)
CUSTOM_TAGS = (("myCustomTag1", "myCustomTagValue1"), ("myCustomTag2", "myCustomTagValue2"))


def test_send_matches_the_guide() -> None:
    expected = json.loads(
        """{"eventType":"Send",
 "mail":{"timestamp":"2016-10-14T05:02:16.645Z","source":"sender@example.com",
  "sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/sender@example.com","sendingAccountId":"123456789012",
  "messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"],
  "headersTruncated":false,
  "headers":[{"name":"From","value":"sender@example.com"},{"name":"To","value":"recipient@example.com"},
    {"name":"Subject","value":"Message sent from Amazon SES"},{"name":"MIME-Version","value":"1.0"},
    {"name":"Content-Type","value":"multipart/mixed;  boundary=\\"----=_Part_0_716996660.1476421336341\\""},
    {"name":"X-SES-MESSAGE-TAGS","value":"myCustomTag1=myCustomTagValue1, myCustomTag2=myCustomTagValue2"}],
  "commonHeaders":{"from":["sender@example.com"],"to":["recipient@example.com"],
    "messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","subject":"Message sent from Amazon SES"},
  "tags":{"ses:configuration-set":["ConfigSet"],"ses:source-ip":["192.0.2.0"],"ses:from-domain":["example.com"],
    "ses:caller-identity":["ses_user"],"myCustomTag1":["myCustomTagValue1"],"myCustomTag2":["myCustomTagValue2"]}},
 "send":{}}"""
    )
    mail = guide_mail("2016-10-14T05:02:16.645Z", SEND_HEADERS, tags=CUSTOM_TAGS)
    event = publishing_event(mail, Step(0.0, Kind.SEND), [], mail.accepted, rng=random.Random(1))
    assert event == expected
    # Same key order as SES, so the serialised text reads like theirs.
    assert list(event) == ["eventType", "mail", "send"]
    assert list(event["mail"]) == list(expected["mail"])  # type: ignore[call-overload]


def test_delivery_matches_the_guide_processing_time_included() -> None:
    expected = json.loads(
        """{"eventType":"Delivery","mail":{"timestamp":"2016-10-19T23:20:52.240Z","source":"sender@example.com",
    "sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/sender@example.com","sendingAccountId":"123456789012",
    "messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"],
    "headersTruncated":false,"headers":[{"name":"From","value":"sender@example.com"},{"name":"To","value":"recipient@example.com"},
    {"name":"Subject","value":"Message sent from Amazon SES"},{"name":"MIME-Version","value":"1.0"},
    {"name":"Content-Type","value":"text/html; charset=UTF-8"},{"name":"Content-Transfer-Encoding","value":"7bit"}],
    "commonHeaders":{"from":["sender@example.com"],"to":["recipient@example.com"],
    "messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","subject":"Message sent from Amazon SES"},
    "tags":{"ses:configuration-set":["ConfigSet"],"ses:source-ip":["192.0.2.0"],"ses:from-domain":["example.com"],
    "ses:caller-identity":["ses_user"],"ses:outgoing-ip":["192.0.2.0"],"myCustomTag1":["myCustomTagValue1"],
    "myCustomTag2":["myCustomTagValue2"]}},
  "delivery":{"timestamp":"2016-10-19T23:21:04.133Z","processingTimeMillis":11893,"recipients":["recipient@example.com"],
    "smtpResponse":"250 2.6.0 Message received","reportingMTA":"mta.example.com"}}"""
    )
    headers = (
        *SEND_HEADERS[:4],
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Content-Transfer-Encoding", "7bit"),
    )
    mail = guide_mail(
        "2016-10-19T23:20:52.240Z", headers, tags=CUSTOM_TAGS, outgoing_ip="192.0.2.0"
    )
    # The guide's delivery has no remoteMtaIp: an empty one is left out.
    step = Step(11.893, Kind.DELIVERY, Delivery(reporting_mta="mta.example.com", remote_mta_ip=""))
    event = publishing_event(
        mail, step, ["recipient@example.com"], t("2016-10-19T23:21:04.133Z"), rng=random.Random(1)
    )
    assert event == expected


def test_bounce_matches_the_observed_simulator_bounce() -> None:
    expected = json.loads(
        """{"eventType":"Bounce",
 "bounce":{"bounceType":"Permanent","bounceSubType":"General",
  "bouncedRecipients":[{"emailAddress":"bounce@simulator.amazonses.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
  "timestamp":"2017-10-30T13:42:11.941Z",
  "reportingMTA":"dsn; a8-96.smtp-out.amazonses.com"},
 "mail":{"timestamp":"2017-10-30T13:42:10.918Z","source":"notifications@example.com",
  "sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/example.com","sendingAccountId":"123456789012",
  "messageId":"0100015f6d84a6e6-6c7dd360-d2e7-46c8-b038-514a6f037e20-000000","destination":["bounce@simulator.amazonses.com"],
  "headersTruncated":false,"headers":[{"name":"From","value":"notifications@example.com"},{"name":"To","value":"bounce@simulator.amazonses.com"},
    {"name":"Subject","value":"..."},{"name":"MIME-Version","value":"1.0"},{"name":"X-SES-CONFIGURATION-SET","value":"cs1"}],
  "commonHeaders":{"from":["notifications@example.com"],"to":["bounce@simulator.amazonses.com"],
    "messageId":"0100015f6d84a6e6-6c7dd360-d2e7-46c8-b038-514a6f037e20-000000","subject":"..."},
  "tags":{"ses:configuration-set":["cs1"],"ses:source-ip":["81.3.129.2"],"ses:from-domain":["example.com"],"ses:caller-identity":["ses-user"]}}}"""
    )
    message_id = "0100015f6d84a6e6-6c7dd360-d2e7-46c8-b038-514a6f037e20-000000"
    headers = (
        ("From", "notifications@example.com"),
        ("To", "bounce@simulator.amazonses.com"),
        ("Subject", "..."),
        ("MIME-Version", "1.0"),
        ("X-SES-CONFIGURATION-SET", "cs1"),
    )
    mail = SESMail(
        message_id=message_id,
        accepted=t("2017-10-30T13:42:10.918Z"),
        source="notifications@example.com",
        source_arn="arn:aws:ses:us-east-1:123456789012:identity/example.com",
        sending_account_id="123456789012",
        destination=("bounce@simulator.amazonses.com",),
        headers=headers,
        common_headers=CommonHeaders.from_headers(headers, message_id),
        configuration_set="cs1",
        source_ip="81.3.129.2",
        caller_identity="ses-user",
    )
    at = "2017-10-30T13:42:11.941Z"
    event = publishing_event(
        mail,
        Step(1.0, Kind.BOUNCE, Bounce()),
        ["bounce@simulator.amazonses.com"],
        t(at),
        rng=random.Random(7),
    )
    assert list(event) == ["eventType", "bounce", "mail"]
    assert check_feedback(event, "bounce", at) == expected
    # The feedback id keeps the message id's region prefix.
    assert event_json(event).startswith('{"eventType":"Bounce","bounce":{"bounceType":"Permanent"')


def test_complaint_matches_the_observed_simulator_complaint() -> None:
    expected = json.loads(
        """{"eventType":"Complaint",
 "complaint":{"complaintSubType":null,
  "complainedRecipients":[{"emailAddress":"complaint@simulator.amazonses.com"}],"timestamp":"2022-03-28T23:59:33.564Z",
  "userAgent":"Amazon SES Mailbox Simulator","complaintFeedbackType":"abuse","arrivalDate":"2022-03-28T23:59:33.564Z"},
 "mail":{"timestamp":"2022-03-28T23:59:32.804Z","source":"sender@example.com","sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
  "sendingAccountId":"123456789012","messageId":"0100017fd2f875c4-c2929163-2767-49b1-8513-1a29e428e134-000000",
  "destination":["complaint@simulator.amazonses.com"],"headersTruncated":false,"headers":[],"commonHeaders":{},"tags":{}}}"""
    )
    mail = SESMail(
        message_id="0100017fd2f875c4-c2929163-2767-49b1-8513-1a29e428e134-000000",
        accepted=t("2022-03-28T23:59:32.804Z"),
        source="sender@example.com",
        source_arn=ARN,
        sending_account_id="123456789012",
        destination=("complaint@simulator.amazonses.com",),
        from_domain="",  # this payload came without any tag
    )
    at = "2022-03-28T23:59:33.564Z"
    event = publishing_event(
        mail,
        Step(0.76, Kind.COMPLAINT, Complaint()),
        ["complaint@simulator.amazonses.com"],
        t(at),
        rng=random.Random(3),
    )
    assert check_feedback(event, "complaint", at) == expected


def test_complaint_without_feedback_report_has_no_report_fields() -> None:
    mail = guide_mail("2016-01-27T14:59:38.237Z", ())
    step = Step(0.0, Kind.COMPLAINT, Complaint(feedback_type=None, user_agent=None))
    event = publishing_event(mail, step, ["r@example.com"], mail.accepted, rng=random.Random(1))
    complaint = event["complaint"]
    assert isinstance(complaint, dict)
    assert set(complaint) == {"complainedRecipients", "timestamp", "feedbackId", "complaintSubType"}


def test_delivery_delay_matches_the_guide() -> None:
    expected = json.loads(
        """{"eventType":"DeliveryDelay",
 "mail":{"timestamp":"2020-06-16T00:15:40.641Z","source":"sender@example.com","sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
  "sendingAccountId":"123456789012","messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
  "destination":["recipient@example.com"],"headersTruncated":false,"tags":{"ses:configuration-set":["ConfigSet"]}},
 "deliveryDelay":{"timestamp":"2020-06-16T00:25:40.095Z","delayType":"TransientCommunicationFailure",
  "expirationTime":"2020-06-16T00:25:40.914Z",
  "delayedRecipients":[{"emailAddress":"recipient@example.com","status":"4.4.1","diagnosticCode":"smtp; 421 4.4.1 Unable to connect to remote host"}]}}"""
    )
    mail = guide_mail(
        "2020-06-16T00:15:40.641Z", (), source_ip=None, caller_identity=None, from_domain=""
    )
    delay = Delay(
        delay_type="TransientCommunicationFailure",
        status="4.4.1",
        diagnostic="smtp; 421 4.4.1 Unable to connect to remote host",
        expires_after=0.819,
    )
    event = publishing_event(
        mail,
        Step(600.0, Kind.DELIVERY_DELAY, delay),
        ["recipient@example.com"],
        t("2020-06-16T00:25:40.095Z"),
        rng=random.Random(1),
    )
    # The guide abbreviates this example's mail object (no headers at all); ours carries the
    # message's headers like every other event, empty here, and is otherwise identical.
    mail_json = event["mail"]
    assert isinstance(mail_json, dict)
    assert mail_json.pop("headers") == []
    assert mail_json.pop("commonHeaders") == mail.common_headers.as_json()
    assert event == expected


def test_rendering_failure_matches_the_guide_without_headers() -> None:
    expected = json.loads(
        """{"eventType":"Rendering Failure",
 "mail":{"timestamp":"2018-01-22T18:43:06.197Z","source":"sender@example.com","sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
  "sendingAccountId":"123456789012","messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
  "destination":["recipient@example.com"],"headersTruncated":false,"tags":{"ses:configuration-set":["ConfigSet"]}},
 "failure":{"errorMessage":"Attribute 'attributeName' is not present in the rendering data.","templateName":"MyTemplate"}}"""
    )
    mail = guide_mail(
        "2018-01-22T18:43:06.197Z",
        SEND_HEADERS,
        source_ip=None,
        caller_identity=None,
        from_domain="",
    )
    failure = RenderingFailure(
        "MyTemplate", "Attribute 'attributeName' is not present in the rendering data."
    )
    event = publishing_event(
        mail,
        Step(0.0, Kind.RENDERING_FAILURE),
        [],
        mail.accepted,
        rng=random.Random(1),
        rendering=failure,
    )
    assert event == expected
    with pytest.raises(InvalidInputError) as caught:
        publishing_event(
            mail, Step(0.0, Kind.RENDERING_FAILURE), [], mail.accepted, rng=random.Random(1)
        )
    assert caught.value.field == "rendering"


def test_reject_open_and_click_objects_match_the_guide() -> None:
    mail = guide_mail("2017-08-09T21:59:49.927Z", SEND_HEADERS)
    rng = random.Random(1)
    reject = publishing_event(mail, Step(0.0, Kind.REJECT, Reject()), [], mail.accepted, rng=rng)
    assert reject["reject"] == {"reason": "Bad content"}
    assert list(reject) == ["eventType", "mail", "reject"]

    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8"
        " (KHTML, like Gecko) Mobile/14G60"
    )
    opened = publishing_event(
        mail,
        Step(29.725, Kind.OPEN, Engagement("192.0.2.1", iphone)),
        ["recipient@example.com"],
        t("2017-08-09T22:00:19.652Z"),
        rng=rng,
    )
    assert opened["open"] == {
        "ipAddress": "192.0.2.1",
        "timestamp": "2017-08-09T22:00:19.652Z",
        "userAgent": iphone,
    }
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/60.0.3112.90 Safari/537.36"
    )
    link = "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html"
    clicked = publishing_event(
        mail,
        Step(1.0, Kind.CLICK, Engagement("192.0.2.1", chrome, link)),
        ["recipient@example.com"],
        t("2017-08-09T23:51:25.570Z"),
        rng=rng,
        link_tags={"samplekey0": ["samplevalue0"], "samplekey1": ["samplevalue1"]},
    )
    assert clicked["click"] == json.loads(
        """{"ipAddress":"192.0.2.1","link":"http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
  "linkTags":{"samplekey0":["samplevalue0"],"samplekey1":["samplevalue1"]},"timestamp":"2017-08-09T23:51:25.570Z",
  "userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36"}"""
    )
    assert list(clicked) == ["eventType", "click", "mail"]
    # Opens and clicks carry no outgoing-ip tag (the guide's examples have none).
    assert "ses:outgoing-ip" not in clicked["mail"]["tags"]  # type: ignore[index]


ON_ACCOUNT = (
    "Amazon SES did not send the message to this address because it is on the suppression list"
    " for your account. For more information about removing addresses from the suppression list,"
    " see the Amazon SES Developer Guide at"
    " https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)


def test_feedback_bounce_for_a_suppressed_address_matches_the_observed_one() -> None:
    expected = json.loads(
        """{"notificationType":"Bounce",
 "bounce":{"bounceType":"Permanent",
  "bounceSubType":"OnAccountSuppressionList",
  "bouncedRecipients":[{"emailAddress":"s@example.dev","action":"failed","status":"5.1.1",
    "diagnosticCode":"Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"}],
  "timestamp":"2020-08-03T19:52:08.880Z","reportingMTA":"dns; amazonses.com"},
 "mail":{"timestamp":"2020-08-03T19:52:08.880Z","source":"noreply@example.com","sourceArn":"arn:aws:ses:us-east-1:123456789012:identity/example.com",
  "sourceIp":"192.0.2.10","sendingAccountId":"123456789012","callerIdentity":"app-user",
  "messageId":"0100...-000000","destination":["s@example.dev"]}}"""
    )
    mail = SESMail(
        message_id="0100...-000000",
        accepted=t("2020-08-03T19:52:08.880Z"),
        source="noreply@example.com",
        source_arn="arn:aws:ses:us-east-1:123456789012:identity/example.com",
        sending_account_id="123456789012",
        destination=("s@example.dev",),
        source_ip="192.0.2.10",
        caller_identity="app-user",
        configuration_set="ignored-by-this-flavour",
        include_headers=False,
    )
    detail = Bounce(
        subtype="OnAccountSuppressionList",
        diagnostic=ON_ACCOUNT,
        reporting_mta="dns; amazonses.com",
    )
    event = feedback_notification(
        mail,
        Step(0.0, Kind.SUPPRESSED, detail),
        ["s@example.dev"],
        mail.accepted,
        rng=random.Random(5),
    )
    assert check_feedback(event, "bounce", "2020-08-03T19:52:08.880Z") == expected
    # JSON object order is not significant, but a reader comparing by eye finds SES's order.
    assert list(event["mail"]) == [  # type: ignore[call-overload]
        "timestamp",
        "source",
        "sourceArn",
        "sourceIp",
        "callerIdentity",
        "sendingAccountId",
        "messageId",
        "destination",
    ]


def test_feedback_delivery_matches_the_guide_with_original_headers() -> None:
    headers = (
        ("From", '"John Doe" <john@example.com>'),
        ("To", '"Jane Doe" <jane@example.com>'),
        ("Message-ID", "custom-message-ID"),
        ("Subject", "Hello"),
        ("Content-Type", 'text/plain; charset="UTF-8"'),
        ("Content-Transfer-Encoding", "base64"),
        ("Date", "Wed, 27 Jan 2016 14:58:45 +0000"),
    )
    mail = SESMail(
        message_id="0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
        accepted=t("2016-01-27T14:59:37.691Z"),
        source="john@example.com",
        source_arn="arn:aws:ses:us-east-1:888888888888:identity/example.com",
        sending_account_id="123456789012",
        destination=("jane@example.com",),
        headers=headers,
        common_headers=CommonHeaders.from_headers(headers),
        source_ip="127.0.3.0",
    )
    step = Step(
        0.546,
        Kind.DELIVERY,
        Delivery(smtp_response="250 ok:  Message 64111812 accepted", remote_mta_ip="127.0.2.0"),
    )
    event = feedback_notification(
        mail, step, ["jane@example.com"], t("2016-01-27T14:59:38.237Z"), rng=random.Random(1)
    )
    assert event["delivery"] == {
        "timestamp": "2016-01-27T14:59:38.237Z",
        "processingTimeMillis": 546,
        "recipients": ["jane@example.com"],
        "smtpResponse": "250 ok:  Message 64111812 accepted",
        "reportingMTA": "a8-70.smtp-out.amazonses.com",
        "remoteMtaIp": "127.0.2.0",
    }
    mail_json = event["mail"]
    assert isinstance(mail_json, dict)
    assert "tags" not in mail_json and mail_json["sourceIp"] == "127.0.3.0"
    assert mail_json["headersTruncated"] is False
    assert mail_json["headers"][2] == {"name": "Message-ID", "value": "custom-message-ID"}
    assert mail_json["commonHeaders"] == {
        "from": ["John Doe <john@example.com>"],
        "date": "Wed, 27 Jan 2016 14:58:45 +0000",
        "to": ["Jane Doe <jane@example.com>"],
        "messageId": "custom-message-ID",
        "subject": "Hello",
    }


def test_feedback_notifications_exist_only_for_bounce_complaint_delivery() -> None:
    mail = guide_mail("2016-01-27T14:59:38.237Z", ())
    with pytest.raises(InvalidInputError, match="not Send") as caught:
        feedback_notification(mail, Step(0.0, Kind.SEND), [], 0.0, rng=random.Random(1))
    assert caught.value.field == "step.kind"


def test_a_suppressed_complaint_entry_is_a_complaint_with_its_subtype() -> None:
    mail = guide_mail("2016-01-27T14:59:38.237Z", ())
    on_list = Complaint(feedback_type=None, subtype="OnAccountSuppressionList", user_agent=None)
    event = publishing_event(
        mail, Step(0.0, Kind.SUPPRESSED, on_list), ["c@example.com"], 0.0, rng=random.Random(1)
    )
    assert event["eventType"] == "Complaint"
    assert event["complaint"]["complaintSubType"] == "OnAccountSuppressionList"  # type: ignore[index]


def test_simulator_bounces_of_one_send_are_combined() -> None:
    bounce = Step(0.0, Kind.BOUNCE, Bounce())
    ooto = Step(
        0.0,
        Kind.BOUNCE,
        Bounce(type="Transient", status=None, diagnostic=None, action=None, reporting_mta=None),
    )
    pairs = [
        ("bounce+a@simulator.amazonses.com", bounce),
        ("success@simulator.amazonses.com", Step(0.0, Kind.DELIVERY)),
        ("bounce+b@simulator.amazonses.com", bounce),
        ("ooto@simulator.amazonses.com", ooto),
    ]
    groups = combine(pairs)
    assert groups[0] == (
        bounce,
        ("bounce+a@simulator.amazonses.com", "bounce+b@simulator.amazonses.com"),
    )
    assert [g[0] for g in groups] == [bounce, Step(0.0, Kind.DELIVERY), ooto]

    mail = guide_mail("2016-01-27T14:59:38.237Z", ())
    event = publishing_event(mail, groups[0][0], groups[0][1], 1.0, rng=random.Random(1))
    listed = event["bounce"]["bouncedRecipients"]  # type: ignore[index]
    assert [r["emailAddress"] for r in listed] == list(groups[0][1])  # labels kept verbatim
    ooto_event = publishing_event(
        mail, ooto, ["ooto@simulator.amazonses.com"], 1.0, rng=random.Random(1)
    )
    # No DSN: only the address, and no reportingMTA.
    assert ooto_event["bounce"]["bouncedRecipients"] == [  # type: ignore[index]
        {"emailAddress": "ooto@simulator.amazonses.com"}
    ]
    assert "reportingMTA" not in ooto_event["bounce"]  # type: ignore[operator]


def test_headers_over_10_kb_are_truncated_whole() -> None:
    headers = tuple((f"X-Filler-{i}", "x" * 1000) for i in range(12))
    mail = guide_mail("2016-01-27T14:59:38.237Z", headers)
    event = publishing_event(mail, Step(0.0, Kind.SEND), [], 0.0, rng=random.Random(1))
    mail_json = event["mail"]
    assert isinstance(mail_json, dict)
    assert mail_json["headersTruncated"] is True
    kept = mail_json["headers"]
    assert 0 < len(kept) < 12 and kept == [{"name": n, "value": v} for n, v in headers[: len(kept)]]
    small = guide_mail("2016-01-27T14:59:38.237Z", headers[:9])
    again = publishing_event(small, Step(0.0, Kind.SEND), [], 0.0, rng=random.Random(1))
    assert again["mail"]["headersTruncated"] is False  # type: ignore[index]


def test_a_detail_of_the_wrong_kind_is_refused_by_name() -> None:
    mail = guide_mail("2016-01-27T14:59:38.237Z", ())
    with pytest.raises(InvalidInputError, match="needs a Bounce detail, not Delivery") as caught:
        publishing_event(
            mail, Step(0.0, Kind.BOUNCE, Delivery()), ["a@b.c"], 0.0, rng=random.Random(1)
        )
    assert caught.value.field == "step.detail"
    with pytest.raises(InvalidInputError) as empty:
        publishing_event(mail, Step(0.0, Kind.BOUNCE), [], 0.0, rng=random.Random(1))
    assert empty.value.field == "recipients"


def test_ids_are_deterministic_and_carry_their_time() -> None:
    at = t("2017-10-30T13:42:10.918Z")
    first = ses_message_id(at, random.Random(42))
    assert first == ses_message_id(at, random.Random(42))
    assert first != ses_message_id(at, random.Random(43))
    assert first.startswith("0100015f6d84a6e6-") and FEEDBACK.fullmatch(first)
    west = "010101860d89bc12-7ce77242-b9cf-492d-a880-7f5401590119-000000"
    assert feedback_id(west, t("2023-02-01T15:12:56.330Z"), random.Random(1)).startswith(
        "010101860d89be0a-"
    )
    assert feedback_id("ses-123", 0.0, random.Random(1)).startswith("0100000000000000-")


def test_event_json_is_compact_and_keeps_utf8() -> None:
    mail = guide_mail("2016-01-27T14:59:38.237Z", (("Subject", "Grüße"),))
    text = event_json(publishing_event(mail, Step(0.0, Kind.SEND), [], 0.0, rng=random.Random(1)))
    assert ", " not in text.split('"headers"')[0] and "Grüße" in text
