"""SES v2's configuration sets and their event destinations.

    POST   /v2/email/configuration-sets                  CreateConfigurationSet
    GET    /v2/email/configuration-sets                  ListConfigurationSets (older botocore)
    POST   /v2/email/list-configuration-sets             ListConfigurationSets (newer SDKs)
    GET    /v2/email/configuration-sets/{Name}           GetConfigurationSet
    DELETE /v2/email/configuration-sets/{Name}           DeleteConfigurationSet
    PUT    /v2/email/configuration-sets/{Name}/sending   PutConfigurationSetSendingOptions
    POST   /v2/email/configuration-sets/{Name}/event-destinations          Create...EventDestination
    GET    /v2/email/configuration-sets/{Name}/event-destinations          Get...EventDestinations
    PUT    /v2/email/configuration-sets/{Name}/event-destinations/{Dest}   Update...EventDestination
    DELETE /v2/email/configuration-sets/{Name}/event-destinations/{Dest}   Delete...EventDestination

The options are kept as given (their shapes are the model's, echoed back by Get). A send through
a set whose sending is disabled is `SendingPausedException`. Event destinations are recorded and
listed; mailyard delivers the events themselves through its webhooks (`/api/v1/webhooks`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.emulate import ses_wire as member
from mailyard.web.emulate.ses_account import CONFIGURATION_SET
from mailyard.web.emulate.ses_errors import (
    already_exists,
    bad_request,
    configuration_set_missing,
    not_found,
)
from mailyard.web.emulate.sesv2_io import begin, listing, ok
from mailyard.web.services import Services

OPTIONS = (
    "TrackingOptions",
    "DeliveryOptions",
    "ReputationOptions",
    "SendingOptions",
    "SuppressionOptions",
    "VdmOptions",
    "ArchivingOptions",
)
EVENT_TYPES = frozenset(
    {
        "SEND",
        "REJECT",
        "BOUNCE",
        "COMPLAINT",
        "DELIVERY",
        "OPEN",
        "CLICK",
        "RENDERING_FAILURE",
        "DELIVERY_DELAY",
        "SUBSCRIPTION",
    }
)
DESTINATIONS = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)
MAX_DESTINATIONS = 10


def _name(request: Request) -> str:
    return str(request.path_params["ConfigurationSetName"])


def valid_name(name: str) -> str:
    if not 1 <= len(name) <= 64 or not all(
        c.isascii() and (c.isalnum() or c in "-_") for c in name
    ):
        raise bad_request(
            "ConfigurationSetName must be 1 to 64 ASCII letters, digits, hyphens or underscores."
        )
    return name


def _load(svc: Services, mailbox: str, name: str) -> dict[str, Any]:
    found = svc.emulators.repo.get(mailbox, CONFIGURATION_SET, name)
    if found is None:
        raise configuration_set_missing(name)
    return found


async def create_configuration_set(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = valid_name(member.required_text(body, "ConfigurationSetName"))
    document: dict[str, Any] = {"ConfigurationSetName": name, "EventDestinations": {}}
    for option in OPTIONS:
        value = member.obj(body, option)
        if value:
            document[option] = value
    document["Tags"] = [
        {"Key": k, "Value": v} for k, v in member.pairs(body, "Tags", ("Key", "Value"))
    ]
    created = await svc.emulators.repo.create(
        caller.mailbox, CONFIGURATION_SET, name, document, svc.clock.now()
    )
    if not created:
        raise already_exists(f"Configuration set <{name}> already exists.")
    return ok()


async def get_configuration_set(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    document = _load(svc, caller.mailbox, _name(request))
    shown = {k: v for k, v in document.items() if k != "EventDestinations"}
    shown.setdefault("SendingOptions", {"SendingEnabled": True})
    return ok(shown)


async def list_configuration_sets(request: Request) -> Response:
    svc, caller, body = await begin(request)
    token, size = listing(request, body)
    limit = member.page_size(size, default=100, maximum=1000)
    contains = str(member.obj(body, "Filter").get("CONFIGURATION_SET_NAME_CONTAINS") or "")
    repo, after = svc.emulators.repo, token
    names: list[str] = []
    while len(names) <= limit:
        batch = repo.documents(caller.mailbox, CONFIGURATION_SET, after=after, limit=limit + 1)
        names += [d.name for d in batch if contains.lower() in d.name.lower()]
        if len(batch) <= limit:
            break
        after = batch[-1].name
    page = names[:limit]
    return ok({"ConfigurationSets": page, "NextToken": page[-1] if len(names) > limit else None})


async def delete_configuration_set(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    if not await svc.emulators.repo.delete(caller.mailbox, CONFIGURATION_SET, _name(request)):
        raise configuration_set_missing(_name(request))
    return ok()


async def put_sending_options(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = _name(request)
    document = _load(svc, caller.mailbox, name)
    enabled = member.flag(body, "SendingEnabled")
    document["SendingOptions"] = {"SendingEnabled": True if enabled is None else enabled}
    await svc.emulators.repo.replace(caller.mailbox, CONFIGURATION_SET, name, document)
    return ok()


def _destination(body: dict[str, Any]) -> dict[str, Any]:
    definition = member.obj(body, "EventDestination", required=True)
    where = "EventDestination."
    types = member.texts(definition, "MatchingEventTypes", where)
    if not set(types) <= EVENT_TYPES:
        raise bad_request(f"{where}MatchingEventTypes must be among {sorted(EVENT_TYPES)}.")
    enabled = member.flag(definition, "Enabled", where)
    found: dict[str, Any] = {"Enabled": bool(enabled), "MatchingEventTypes": list(types)}
    for kind in DESTINATIONS:
        value = member.obj(definition, kind, where)
        if value:
            found[kind] = value
    return found


async def create_event_destination(request: Request) -> Response:
    svc, caller, body = await begin(request)
    name = _name(request)
    document = _load(svc, caller.mailbox, name)
    destination = member.required_text(body, "EventDestinationName")
    destinations = document.setdefault("EventDestinations", {})
    if destination in destinations:
        raise already_exists(f"Event destination {destination} already exists in <{name}>.")
    if len(destinations) >= MAX_DESTINATIONS:
        raise bad_request(f"A configuration set has at most {MAX_DESTINATIONS} destinations.")
    destinations[destination] = _destination(body)
    await svc.emulators.repo.replace(caller.mailbox, CONFIGURATION_SET, name, document)
    return ok()


async def get_event_destinations(request: Request) -> Response:
    svc, caller, _ = await begin(request)
    document = _load(svc, caller.mailbox, _name(request))
    listed = [{"Name": k, **v} for k, v in document.get("EventDestinations", {}).items()]
    return ok({"EventDestinations": listed})


async def _change_destination(request: Request, body: dict[str, Any] | None) -> Response:
    svc, caller, given = await begin(request)
    name, destination = _name(request), str(request.path_params["EventDestinationName"])
    document = _load(svc, caller.mailbox, name)
    destinations = document.setdefault("EventDestinations", {})
    if destination not in destinations:
        raise not_found(f"Event destination {destination} does not exist in <{name}>.")
    if body is None:
        del destinations[destination]
    else:
        destinations[destination] = _destination(given)
    await svc.emulators.repo.replace(caller.mailbox, CONFIGURATION_SET, name, document)
    return ok()


async def update_event_destination(request: Request) -> Response:
    return await _change_destination(request, {})


async def delete_event_destination(request: Request) -> Response:
    return await _change_destination(request, None)
