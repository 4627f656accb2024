"""`POST /api/v1/webhooks/check`: `webhook-check` run by the server, which holds the SNS key.

An SNS receiver under test trusts one certificate URL besides AWS's: mailyard's own
(`/_sns/SimpleNotificationService-mailyard.pem`, the one its real deliveries name). Only the
server can sign with that certificate's key, so the SNS check runs here; the Resend check needs
only the `whsec_` secret and runs here or in the CLI alike.

The decoy (the key the wrong-key and untrusted-URL probes sign with) is kept per install like
the real key, and its certificate is served at `/_webhook-check/decoy.pem`: a URL a receiver
fetching whatever `SigningCertURL` says will fetch, and then verify the forgery. It sits outside
`/_sns/` so a receiver trusting that prefix is not blamed, while one trusting all of mailyard's
origin is: that origin also serves captured attachments, which anyone who can send mail chooses.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailyard.sandbox import (
    Clock,
    InvalidInputError,
    SigningKey,
    SNSSubscription,
    SNSTarget,
    Store,
    SvixTarget,
    check_receiver,
)
from mailyard.web.api.describe import ERROR, fields, json_body, json_response, obj, operation
from mailyard.web.api.params import known_fields, read_json
from mailyard.web.errors import RequestError
from mailyard.web.services import Services, services, stored_signing_key

DECOY_PATH = "/_webhook-check/decoy.pem"
CHECK_TOPIC = "mailyard-webhook-check"
MAX_TIMEOUT = 30.0
CHECK = obj(
    url={"type": "string"},
    format={"enum": ["resend", "sns"]},
    failed={"type": "boolean", "description": "true if the receiver wrongly answered any probe"},
    checks={
        "type": "array",
        "items": obj(
            name={"type": "string"},
            sent={"type": "string"},
            status={"type": ["integer", "null"]},
            verdict={"enum": ["pass", "fail", "unknown"]},
            advice={"type": "string"},
            error={"type": ["string", "null"], "description": "why there was no answer"},
        ),
    },
    unobservable={"type": "array", "items": {"type": "string"}},
)


@operation(
    "mailyard: send a webhook receiver forged, stale, replayed and duplicate events and judge "
    "its answers",
    description="format resend: signed with `secret` (the receiver's whsec_ secret). format sns: "
    "signed with mailyard's SNS key, SigningCertURL mailyard's own certificate URL (the receiver "
    "must trust exactly that one), from `topicArn` (default: the topic of the SNS webhook "
    "registered for this URL, else arn:aws:sns:us-east-1:123456789012:mailyard-webhook-check). "
    "timeout: seconds per request (default 10).",
    body=json_body(
        fields(
            "url",
            "format",
            url={"type": "string"},
            format={"enum": ["resend", "sns"]},
            secret={"type": "string"},
            topicArn={"type": "string"},
            signatureVersion={"enum": ["1", "2"]},
            timeout={"type": "number", "minimum": 0.5, "maximum": MAX_TIMEOUT},
        ),
        required=True,
    ),
    responses={"200": json_response(CHECK), "400": ERROR},
)
async def check_webhook_receiver(request: Request) -> Response:
    body = known_fields(
        await read_json(request),
        "url",
        "format",
        "secret",
        "topicArn",
        "signatureVersion",
        "timeout",
    )
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RequestError(400, "url must be an http or https URL", "url")
    timeout = body.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or not 0.5 <= timeout <= MAX_TIMEOUT:
        raise RequestError(400, f"timeout must be from 0.5 to {MAX_TIMEOUT:g} seconds", "timeout")
    svc = services(request)
    target: SvixTarget | SNSTarget
    if body.get("format") == "resend":
        secret = body.get("secret")
        if not isinstance(secret, str) or not secret:
            raise RequestError(400, "format resend needs the receiver's whsec_ secret", "secret")
        try:
            target = SvixTarget(secret)
        except InvalidInputError as exc:
            raise RequestError(400, str(exc), "secret") from None
    elif body.get("format") == "sns":
        target = sns_target(svc, url, body.get("topicArn"), body.get("signatureVersion", "1"))
    else:
        raise RequestError(400, "format must be resend or sns", "format")
    # The real time, not the service's clock: the receiver checks timestamps against its own.
    report = await check_receiver(
        svc.http, url, target, now=time.time(), rng=random.Random(), timeout=float(timeout)
    )
    return JSONResponse(report.as_json())


def sns_target(svc: Services, url: str, topic_arn: object, version: object) -> SNSTarget:
    """mailyard's key and certificate URL, the topic the receiver expects, and the decoy."""
    if version not in ("1", "2"):
        raise RequestError(400, "signatureVersion must be 1 or 2", "signatureVersion")
    formats = svc.dispatcher.formats
    registered = next(
        (e for e in svc.dispatcher.endpoints() if e.format == "sns" and e.url == url), None
    )
    sub: SNSSubscription = (
        formats.subscription(registered)
        if registered is not None
        else formats.subscription_to(CHECK_TOPIC, "webhook-check")
    )
    if topic_arn is not None:
        if not isinstance(topic_arn, str) or not topic_arn.startswith("arn:aws:sns:"):
            raise RequestError(400, "topicArn must be an SNS topic ARN", "topicArn")
        sub = replace(sub, topic_arn=topic_arn, subscription_arn=f"{topic_arn}:webhook-check")
    return SNSTarget(
        formats.sns_key(),
        replace(sub, signature_version=str(version)),
        decoy_key(svc.store, svc.clock),
        formats.public_url(DECOY_PATH),
    )


def decoy_key(store: Store, clock: Clock) -> SigningKey:
    """The decoy key, made on first use and kept per install (as the real SNS key is)."""
    return stored_signing_key(store, clock, "sns_decoy")


@operation(
    "The decoy certificate of webhook-check's SNS probes (a receiver must not trust it)",
    responses={"200": {"description": "PEM"}},
)
async def decoy_certificate(request: Request) -> Response:
    svc = services(request)
    return Response(decoy_key(svc.store, svc.clock).cert_pem, media_type="application/x-pem-file")
