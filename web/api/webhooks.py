"""Webhook endpoints over HTTP: register, list, remove; every delivery with its attempts; a manual
redelivery; and the two URLs an SNS receiver visits (the signing certificate, the subscription
confirmation)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mailyard.sandbox import Endpoint, WebhookDelivery
from mailyard.senders import WebhookURLError
from mailyard.web.api.describe import (
    ERROR,
    NOT_FOUND,
    fields,
    json_body,
    json_response,
    obj,
    operation,
    path,
    query,
    strings,
    text_response,
)
from mailyard.web.api.params import int_param, known_fields, read_json, str_list
from mailyard.web.errors import RequestError
from mailyard.web.services import services

FORMATS = ("sns", "eventbridge", "resend", "mailpit", "auth")
ENDPOINT = obj(
    id={"type": "string"},
    url={"type": "string"},
    format={"enum": list(FORMATS)},
    events=strings(),
    mailbox={"type": ["string", "null"]},
    enabled={"type": "boolean"},
    created={"type": "number"},
    confirmed={"type": "boolean"},
    secret={"type": "string", "description": "resend and auth: the whsec_ secret to verify with"},
)
ATTEMPT = obj(
    at={"type": "number"},
    statusCode={"type": ["integer", "null"]},
    latencyMs={"type": "number"},
    response={"type": "string"},
    error={"type": ["string", "null"]},
)
DELIVERY = obj(
    id={"type": "integer"},
    event={"type": "integer"},
    messageKey={"type": "string"},
    status={"enum": ["pending", "succeeded", "failed", "unconfirmed"]},
    attempts={"type": "array", "items": ATTEMPT},
    nextAttempt={
        "type": ["number", "null"],
        "description": "When the next attempt is due (epoch seconds); null unless pending",
    },
)
WEBHOOK_ID = path("webhook", "The webhook's id (wh_...)")


def _endpoint(request: Request) -> Endpoint:
    found = services(request).store.webhooks.endpoint(request.path_params["webhook"])
    if found is None:
        raise RequestError(404, "no such webhook", "webhook")
    return found


@operation(
    "mailyard: the webhook endpoints",
    responses={"200": json_response(obj(webhooks={"type": "array", "items": ENDPOINT}))},
)
async def list_webhooks(request: Request) -> Response:
    endpoints = services(request).store.webhooks.endpoints()
    return JSONResponse({"webhooks": [e.as_json(with_secret=True) for e in endpoints]})


@operation(
    "mailyard: register a webhook endpoint",
    description="format: sns (SES events in signed SNS envelopes; a SubscriptionConfirmation "
    "comes first), eventbridge, resend (Svix-signed; the answer carries the whsec_ secret), or "
    "mailpit (Mailpit's new-message webhook), or auth (the reference auth service's user.created, "
    "invitation.created, invitation.accepted, invitation.revoked; Standard Webhooks signing with "
    "the whsec_ secret). events: names in the format's vocabulary (Bounce, email.bounced, "
    "user.created...); empty: all. Private and loopback URLs are allowed (apps under test run "
    "locally).",
    body=json_body(
        fields(
            "url",
            "format",
            url={"type": "string"},
            format={"enum": list(FORMATS)},
            events=strings(),
            mailbox={"type": ["string", "null"]},
            secret={"type": "string"},
        ),
        required=True,
    ),
    responses={"200": json_response(ENDPOINT), "400": ERROR},
)
async def add_webhook(request: Request) -> Response:
    body = known_fields(await read_json(request), "url", "format", "events", "mailbox", "secret")
    url, fmt = body.get("url"), body.get("format")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RequestError(400, "url must be an http or https URL", "url")
    if fmt not in FORMATS:
        raise RequestError(400, f"format must be one of {', '.join(FORMATS)}", "format")
    mailbox = body.get("mailbox")
    if mailbox is not None and not isinstance(mailbox, str):
        raise RequestError(400, "mailbox must be a string", "mailbox")
    secret = body.get("secret")
    if fmt == "auth" and mailbox is not None:
        raise RequestError(400, "auth events belong to no mailbox: leave mailbox out", "mailbox")
    signed = fmt in ("resend", "auth")
    if secret is not None and (not signed or not str(secret).startswith("whsec_")):
        raise RequestError(400, "secret is a resend or auth endpoint's whsec_ secret", "secret")
    try:
        endpoint = await services(request).dispatcher.register(
            url,
            str(fmt),
            events=tuple(str_list(body, "events") or ()),
            mailbox=mailbox,
            secret=secret,
        )
    except WebhookURLError as exc:
        raise RequestError(400, str(exc), "url") from None
    return JSONResponse(endpoint.as_json(with_secret=True))


@operation(
    "mailyard: remove a webhook endpoint and its deliveries",
    parameters=[WEBHOOK_ID],
    responses={"200": json_response(obj(removed={"type": "boolean"})), "404": NOT_FOUND},
)
async def remove_webhook(request: Request) -> Response:
    endpoint = _endpoint(request)
    return JSONResponse({"removed": await services(request).dispatcher.unregister(endpoint.id)})


@operation(
    "mailyard: a webhook's deliveries, oldest first after a cursor, each with its attempts",
    parameters=[
        WEBHOOK_ID,
        query("after", "The last delivery id seen", {"type": "integer", "minimum": 0}),
        query("limit", "At most this many", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ],
    responses={
        "200": json_response(obj(deliveries={"type": "array", "items": DELIVERY})),
        "404": NOT_FOUND,
    },
)
async def list_deliveries(request: Request) -> Response:
    endpoint = _endpoint(request)
    found = services(request).store.webhooks.deliveries(
        endpoint.id,
        after=int_param(request, "after", 0),
        limit=int_param(request, "limit", 100, low=1, high=1000),
    )
    return JSONResponse(
        {
            "deliveries": [
                {
                    "id": d.id,
                    "event": d.event,
                    "messageKey": d.message_key,
                    "status": d.status,
                    "nextAttempt": d.next_attempt if d.status == "pending" else None,
                    "attempts": [
                        {
                            "at": a.at,
                            "statusCode": a.status_code,
                            "latencyMs": a.latency_ms,
                            "response": a.response,
                            "error": a.error,
                        }
                        for a in attempts
                    ],
                }
                for d, attempts in found
            ]
        }
    )


@operation(
    "mailyard: send a delivery again now",
    parameters=[path("delivery", "The delivery's id")],
    responses={"200": json_response(obj(id={"type": "integer"})), "404": NOT_FOUND},
)
async def redeliver(request: Request) -> Response:
    found = await redeliver_from_path(request)
    return JSONResponse({"id": found.id, "status": found.status})


async def redeliver_from_path(request: Request) -> WebhookDelivery:
    """Deliver again now the delivery the path names (`{delivery}`); 404 when there is none."""
    text = request.path_params["delivery"]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise RequestError(404, "no such delivery", "delivery")
    found = await services(request).dispatcher.redeliver(int(text))
    if found is None:
        raise RequestError(404, "no such delivery", "delivery")
    return found


@operation(
    "The SNS signing certificate (SigningCertURL of mailyard's SNS envelopes)",
    responses={"200": text_response("PEM")},
)
async def sns_certificate(request: Request) -> Response:
    key = services(request).dispatcher.formats.sns_key()
    return Response(key.cert_pem, media_type="application/x-pem-file")


@operation(
    "SNS's service URL: ConfirmSubscription (the SubscribeURL a receiver visits) and Unsubscribe",
    parameters=[
        query(
            "Action",
            "ConfirmSubscription or Unsubscribe",
            {"enum": ["ConfirmSubscription", "Unsubscribe"]},
        ),
        query("Token", "The token of the SubscriptionConfirmation"),
        query("SubscriptionArn", "For Unsubscribe"),
        query("TopicArn", "The topic"),
    ],
    responses={"200": text_response("SNS's XML answer"), "404": text_response("Unknown")},
)
async def sns_service(request: Request) -> Response:
    dispatcher = services(request).dispatcher
    action = request.query_params.get("Action", "")
    if action == "ConfirmSubscription":
        endpoint = await dispatcher.confirmed(request.query_params.get("Token", ""))
        if endpoint is None:
            return PlainTextResponse("unknown token", status_code=404)
        arn = dispatcher.formats.subscription(endpoint).subscription_arn
        result = f"<SubscriptionArn>{arn}</SubscriptionArn>"
        return Response(_sns_xml("ConfirmSubscription", result), media_type="text/xml")
    if action == "Unsubscribe":
        arn = request.query_params.get("SubscriptionArn", "")
        for endpoint in dispatcher.endpoints():
            if dispatcher.formats.subscription(endpoint).subscription_arn == arn:
                await dispatcher.unregister(endpoint.id)
                return Response(_sns_xml("Unsubscribe", ""), media_type="text/xml")
        return PlainTextResponse("unknown subscription", status_code=404)
    return PlainTextResponse("Action must be ConfirmSubscription or Unsubscribe", status_code=400)


def _sns_xml(action: str, result: str) -> str:
    body = f"<{action}Result>{result}</{action}Result>" if result else ""
    return (
        f'<{action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/">{body}'
        "<ResponseMetadata><RequestId>mailyard</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
