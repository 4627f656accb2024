"""Finding the message a route names: an ID, or `latest` (the newest, or with `?query=` the
newest match, as Mailpit's `storage.LatestID`), with Mailpit's 404 texts."""

from __future__ import annotations

from starlette.requests import Request

from mailyard.sandbox import MessageRecord, NotFoundError
from mailyard.web.api.params import str_param, tz_param
from mailyard.web.api.surface import MESSAGE_NOT_FOUND, NOT_FOUND_TEXT, VERBATIM
from mailyard.web.errors import RequestError
from mailyard.web.services import services


def find_record(
    request: Request,
    *,
    latest: bool = True,
    missing: str = NOT_FOUND_TEXT,
    latest_missing: str = MESSAGE_NOT_FOUND,
    mailpit: bool = True,
) -> MessageRecord:
    """The message of the path's `id` (in `?mailbox=`, if given).

    `latest` honours `?query=` (and `?tz=`); with `latest=False` the word is an ID like any
    other, as on Mailpit's thumbnail and release routes. Not found: 404 with `missing`, or with
    `latest_missing` when `latest` found nothing; on mailyard's own routes (`mailpit=False`)
    a JSON error naming the ID.
    """
    messages = services(request).store.messages
    ident = request.path_params["id"]
    mailbox = str_param(request, "mailbox")
    try:
        if ident == "latest" and not latest:
            raise NotFoundError("no message has the ID 'latest'")
        query = request.query_params.get("query", "").strip() if ident == "latest" else ""
        if query:
            newest = messages.first_after(
                after=None, query=query, mailbox=mailbox, tz=tz_param(request)
            )
            if newest is None:
                raise NotFoundError("no message matches the query")
            ident = newest.id
        return messages.get(ident, mailbox)
    except NotFoundError:
        if not mailpit:
            shown = request.path_params["id"][:40]
            raise RequestError(404, f"no message {shown!r} found", "id") from None
        text = latest_missing if request.path_params["id"] == "latest" and latest else missing
        raise RequestError(404, text, "id", code=VERBATIM) from None


def find_raw(request: Request, record: MessageRecord) -> bytes:
    return services(request).store.messages.raw(record.summary.seq)
