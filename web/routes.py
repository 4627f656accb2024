"""Every route of the service, in one table: path, handler, methods.

Handlers are module-level functions that take a request and reach the running services through
`web.services.services(request)`. The API's routes describe themselves for the OpenAPI document
(`web.api.describe`); the inbox's pages do not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from mailyard.web.api.describe import HANDLERS
from mailyard.web.lazy import LazyHandler, as_function, handlers
from mailyard.web.settings import Settings

GET, POST, PUT, DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]

# Handler modules are imported on their first request (web.lazy): with what they import, they
# were half of the cold start. Starlette's own `Route` and `WebSocketRoute` (the pages, the
# event socket) take a function: `as_function` gives one.
# The HTML checks hold the email-client support data (~8 MB): loaded by their first request.
checks = handlers("mailyard.web.api.checks", warm=False)
delivery = handlers("mailyard.web.api.delivery")
email_test = handlers("mailyard.web.api.email_test")
inbucket = handlers("mailyard.web.api.inbucket")
info = handlers("mailyard.web.api.info")
mailhog = handlers("mailyard.web.api.mailhog")
message = handlers("mailyard.web.api.message")
messages = handlers("mailyard.web.api.messages")
metrics = handlers("mailyard.web.api.metrics")
openapi = handlers("mailyard.web.api.openapi")
release = handlers("mailyard.web.api.release")
send = handlers("mailyard.web.api.send")
sim_control = handlers("mailyard.web.api.sim_control")
sim_events = handlers("mailyard.web.api.sim_events")
tags = handlers("mailyard.web.api.tags")
thumb = handlers("mailyard.web.api.thumb")
views = handlers("mailyard.web.api.views")
webhook_check = handlers("mailyard.web.api.webhook_check")
webhooks = handlers("mailyard.web.api.webhooks")
auth_admin = handlers("mailyard.web.auth.admin")
auth_public = handlers("mailyard.web.auth.public")
auth_tenants = handlers("mailyard.web.auth.tenants")
compat = handlers("mailyard.web.emulate.compat")
resend_api = handlers("mailyard.web.emulate.resend_api")
ses_v1 = handlers("mailyard.web.emulate.ses_v1")
sesv2_configsets = handlers("mailyard.web.emulate.sesv2_configsets")
sesv2_identities = handlers("mailyard.web.emulate.sesv2_identities")
sesv2_send = handlers("mailyard.web.emulate.sesv2_send")
sesv2_suppression = handlers("mailyard.web.emulate.sesv2_suppression")
sesv2_templates = handlers("mailyard.web.emulate.sesv2_templates")
# web.api.webhook_check.DECOY_PATH, written out so that module loads on first use too (a test
# holds the two equal).
WEBHOOK_CHECK_DECOY = "/_webhook-check/decoy.pem"
events_ws = handlers("mailyard.web.api.events_ws")
engagement = handlers("mailyard.web.ui.engagement")
message_page = handlers("mailyard.web.ui.message_page")
pages = handlers("mailyard.web.ui.pages")
preview = handlers("mailyard.web.ui.preview")
stream = handlers("mailyard.web.ui.stream")
suppressions = handlers("mailyard.web.ui.suppressions")
timeline = handlers("mailyard.web.ui.timeline")
webhooks_page = handlers("mailyard.web.ui.webhooks_page")
UI_FOLDER = Path(__file__).resolve().parent / "ui"  # web.ui.templating.HERE
Handler = Callable[[Request], Awaitable[Response]]


def resource(path: str, **handlers: Handler) -> Route:
    """One route for a path and every method it answers, so a wrong method gets a 405 whose
    Allow header lists them all (separate routes per method would each list only their own)."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    dispatch.__name__ = "_".join(h.__name__ for h in handlers.values())
    setattr(dispatch, HANDLERS, handlers)
    return Route(path, dispatch, methods=list(handlers))


def page(path: str, handler: LazyHandler, methods: list[str]) -> Route:
    """A route of the inbox's: one handler, no OpenAPI description."""
    return Route(path, as_function(handler), methods=methods)


API: list[BaseRoute] = [
    # Mailpit's API v1
    resource(
        "/api/v1/messages",
        GET=messages.list_messages,
        PUT=messages.set_read,
        DELETE=messages.delete_messages,
    ),
    resource("/api/v1/search", GET=messages.search, DELETE=messages.delete_search),
    resource("/api/v1/message/{id}", GET=message.get_message),
    resource("/api/v1/message/{id}/headers", GET=message.get_headers),
    resource("/api/v1/message/{id}/raw", GET=message.get_raw),
    resource("/api/v1/message/{id}/part/{part}", GET=message.get_part),
    resource("/api/v1/message/{id}/part/{part}/thumb", GET=thumb.thumb),
    resource("/api/v1/message/{id}/html-check", GET=checks.html_check),
    resource("/api/v1/message/{id}/link-check", GET=checks.link_check),
    resource("/api/v1/message/{id}/sa-check", GET=checks.sa_check),
    resource("/api/v1/message/{id}/release", POST=release.release),
    resource("/api/v1/tags", GET=tags.list_tags, PUT=tags.set_tags),
    resource("/api/v1/tags/{tag}", PUT=tags.rename_tag, DELETE=tags.delete_tag),
    resource("/api/v1/send", POST=send.send),
    resource("/api/v1/info", GET=info.info),
    resource("/api/v1/webui", GET=info.webui),
    resource("/api/v1/swagger.json", GET=openapi.swagger_json),
    WebSocketRoute("/api/events", as_function(events_ws.events)),
    resource("/metrics", GET=metrics.metrics),
    resource("/view/{id}.html", GET=views.view_html),
    resource("/view/{id}.txt", GET=views.view_text),
    resource("/view/{id}/part/{part}", GET=views.inline_part),
    # mailyard's extensions for CI
    resource("/api/v1/messages/wait", GET=messages.wait),
    resource("/api/v1/messages/cursor", GET=messages.cursor),
    resource("/api/v1/mailboxes", GET=messages.mailboxes),
    resource("/api/v1/message/{id}/links", GET=message.get_links),
    resource("/api/v1/message/{id}/codes", GET=message.get_codes),
    # MailHog's API (web.api.mailhog) and Inbucket's (web.api.inbucket), for older suites
    resource("/api/v2/messages", GET=mailhog.list_v2),
    resource("/api/v2/search", GET=mailhog.search_v2),
    resource("/api/v1/messages/{id}", GET=mailhog.get_v1, DELETE=mailhog.delete_v1),
    resource("/api/v1/messages/{id}/download", GET=mailhog.download_v1),
    resource("/api/v1/mailbox/{name}", GET=inbucket.list_mailbox, DELETE=inbucket.purge_mailbox),
    resource(
        "/api/v1/mailbox/{name}/{id}",
        GET=inbucket.get_message,
        PATCH=inbucket.mark_seen,
        DELETE=inbucket.delete_message,
    ),
    resource("/api/v1/mailbox/{name}/{id}/source", GET=inbucket.source),
    # outbound: the mailer, the spec's email-test, the send log
    resource("/api/v1/email-test", POST=email_test.email_test),
    resource("/api/v1/outbound", POST=email_test.outbound),
    resource("/api/v1/send-log", GET=delivery.send_log),
    resource("/api/v1/delivery", GET=delivery.delivery),
    # the service
    resource("/api/v1/openapi.json", GET=openapi.openapi_json),
    resource("/livez", GET=info.livez),
    resource("/readyz", GET=info.readyz),
]

UI: list[BaseRoute] = [
    page("/", pages.inbox, GET),
    page("/ui/results", pages.results, GET),
    page("/ui/rows", pages.rows, GET),
    page("/message/{id}", message_page.message, GET),
    page("/ui/message/{id}/tags", message_page.edit_tags, POST),
    page("/ui/message/{id}/pager", message_page.pager, GET),
    page("/status", pages.status, GET),
    page("/preview", preview.gallery, GET),
    page("/ui/preview/render", preview.render_preview, GET),
    page("/ui/preview/send", preview.send_test, POST),
    page("/ui/events", stream.events, GET),
    # the delivery simulator's face: a message's timeline, opens and clicks, the suppression
    # list and the webhooks
    page("/ui/message/{id}/delivery", timeline.delivery, GET),
    page("/ui/message/{id}/open", engagement.record_open, POST),
    page("/view/{id}/click", engagement.click, GET),
    page("/suppressions", suppressions.suppressions, GET),
    page("/ui/suppressions", suppressions.listing, GET),
    page("/ui/suppressions", suppressions.add, POST),
    page("/ui/suppressions/remove", suppressions.remove, POST),
    page("/ui/suppressions/clear", suppressions.clear, POST),
    page("/webhooks", webhooks_page.webhooks, GET),
    page("/ui/webhooks/{webhook}", webhooks_page.endpoint, GET),
    page("/ui/webhooks/deliveries/{delivery}/redeliver", webhooks_page.redeliver, POST),
    Mount("/static", app=StaticFiles(directory=UI_FOLDER / "static"), name="static"),
]

SIMULATOR: list[BaseRoute] = [
    resource("/api/v1/events", GET=sim_events.list_events),
    resource(
        "/api/v1/message/{id}/events",
        GET=sim_events.message_events,
        POST=sim_events.add_engagement,
    ),
    resource(
        "/api/v1/suppressions",
        GET=sim_control.list_suppressions,
        PUT=sim_control.add_suppression,
        DELETE=sim_control.remove_suppression,
    ),
    resource("/api/v1/simulator/rules", GET=sim_control.get_rules, PUT=sim_control.put_rules),
    resource("/api/v1/simulator/faults", GET=sim_control.get_faults, PUT=sim_control.put_faults),
    resource("/api/v1/chaos", GET=sim_control.get_chaos, PUT=sim_control.put_chaos),
    resource("/api/v1/clock", GET=sim_control.get_clock),
    resource("/api/v1/clock/advance", POST=sim_control.advance_clock),
    resource("/api/v1/webhooks", GET=webhooks.list_webhooks, POST=webhooks.add_webhook),
    resource("/api/v1/webhooks/check", POST=webhook_check.check_webhook_receiver),
    resource("/api/v1/webhooks/{webhook}", DELETE=webhooks.remove_webhook),
    resource("/api/v1/webhooks/{webhook}/deliveries", GET=webhooks.list_deliveries),
    resource("/api/v1/webhooks/deliveries/{delivery}/redeliver", POST=webhooks.redeliver),
    resource("/_sns/SimpleNotificationService-mailyard.pem", GET=webhooks.sns_certificate),
    resource("/_sns/", GET=webhooks.sns_service),
    resource(WEBHOOK_CHECK_DECOY, GET=webhook_check.decoy_certificate),
]

# Provider API emulators (web.emulate): SES v2 (REST-JSON), SES v1 (query/XML on POST /, beside
# the inbox's GET /), Resend, and the retrieval routes of LocalStack and aws-ses-v2-local.
SES_V2: list[BaseRoute] = [
    resource("/v2/email/outbound-emails", POST=sesv2_send.send_email),
    resource("/v2/email/outbound-bulk-emails", POST=sesv2_send.send_bulk_email),
    resource("/v2/email/account", GET=sesv2_identities.get_account),
    resource("/v2/email/account/sending", PUT=sesv2_identities.put_account_sending),
    resource("/v2/email/account/suppression", PUT=sesv2_identities.put_account_suppression),
    resource(
        "/v2/email/account/mailyard-enforcement", PUT=sesv2_identities.put_account_enforcement
    ),
    resource(
        "/v2/email/identities",
        GET=sesv2_identities.list_identities,
        POST=sesv2_identities.create_identity,
    ),
    resource("/v2/email/list-identities", POST=sesv2_identities.list_identities),
    resource(
        "/v2/email/identities/{EmailIdentity}",
        GET=sesv2_identities.get_identity,
        DELETE=sesv2_identities.delete_identity,
    ),
    resource(
        "/v2/email/templates",
        GET=sesv2_templates.list_templates,
        POST=sesv2_templates.create_template,
    ),
    resource(
        "/v2/email/templates/{TemplateName}",
        GET=sesv2_templates.get_template,
        PUT=sesv2_templates.update_template,
        DELETE=sesv2_templates.delete_template,
    ),
    resource(
        "/v2/email/templates/{TemplateName}/render", POST=sesv2_templates.test_render_template
    ),
    resource(
        "/v2/email/configuration-sets",
        GET=sesv2_configsets.list_configuration_sets,
        POST=sesv2_configsets.create_configuration_set,
    ),
    resource("/v2/email/list-configuration-sets", POST=sesv2_configsets.list_configuration_sets),
    resource(
        "/v2/email/configuration-sets/{ConfigurationSetName}",
        GET=sesv2_configsets.get_configuration_set,
        DELETE=sesv2_configsets.delete_configuration_set,
    ),
    resource(
        "/v2/email/configuration-sets/{ConfigurationSetName}/sending",
        PUT=sesv2_configsets.put_sending_options,
    ),
    resource(
        "/v2/email/configuration-sets/{ConfigurationSetName}/event-destinations",
        GET=sesv2_configsets.get_event_destinations,
        POST=sesv2_configsets.create_event_destination,
    ),
    resource(
        "/v2/email/configuration-sets/{ConfigurationSetName}/event-destinations/"
        "{EventDestinationName}",
        PUT=sesv2_configsets.update_event_destination,
        DELETE=sesv2_configsets.delete_event_destination,
    ),
    resource(
        "/v2/email/suppression/addresses",
        GET=sesv2_suppression.list_suppressed,
        PUT=sesv2_suppression.put_suppressed,
    ),
    resource(
        "/v2/email/suppression/addresses/{EmailAddress}",
        GET=sesv2_suppression.get_suppressed,
        DELETE=sesv2_suppression.delete_suppressed,
    ),
]
SES_V1: list[BaseRoute] = [resource("/", POST=ses_v1.dispatch)]
RESEND: list[BaseRoute] = [
    resource("/emails", POST=resend_api.send_email),
    resource("/emails/batch", POST=resend_api.send_batch),
    resource("/emails/{id}", GET=resend_api.get_email, PATCH=resend_api.update_email),
    resource("/emails/{id}/cancel", POST=resend_api.cancel_email),
]
COMPAT: list[BaseRoute] = [
    resource("/_aws/ses", GET=compat.localstack_messages, DELETE=compat.localstack_delete),
    resource("/store", GET=compat.store),
    resource("/clear-store", POST=compat.clear_store),
    resource("/get-emlContent", GET=compat.eml_content),
]

# The providers' APIs first: the router tries the routes in order and they take the send load
# (behind ~80 routes, matching cost as much as the rest of the routing). No path of theirs is
# another's; SES v1's `POST /` stays after the inbox's `GET /` (a 405 there lists GET).
ROUTES: list[BaseRoute] = [*SES_V2, *RESEND, *API, *SIMULATOR, *UI, *SES_V1, *COMPAT]

# The reference auth service (web.auth): MIOSA's /auth, BluAuth's /api/auth and /api/admin.
# Mounted unless --no-auth-service. Link endpoints answer GET (and HEAD) without using tokens.
AUTH: list[BaseRoute] = [
    resource("/auth/settings", GET=auth_public.settings),
    resource("/auth/signup", POST=auth_public.signup),
    resource("/auth/confirm", GET=auth_public.confirm_page, POST=auth_public.confirm),
    resource("/auth/password-reset", POST=auth_public.password_reset),
    resource(
        "/auth/password-reset/confirm",
        GET=auth_public.reset_page,
        POST=auth_public.reset_confirm,
    ),
    resource("/auth/login", GET=auth_public.login_page, POST=auth_public.login),
    resource("/api/auth/sign-up/email", POST=auth_public.signup),
    resource("/api/auth/forgot-password", POST=auth_public.forgot_password),
    resource(
        "/api/auth/reset-password", GET=auth_public.reset_page, POST=auth_public.reset_confirm
    ),
    resource(
        "/api/auth/accept-invite", GET=auth_public.accept_page, POST=auth_public.accept_invite
    ),
    resource(
        "/api/admin/invitations",
        GET=auth_admin.list_invitations,
        POST=auth_admin.create_invitation,
    ),
    resource("/api/admin/invitations/{id}", GET=auth_admin.get_invitation),
    resource("/api/admin/invitations/{id}/revoke", POST=auth_admin.revoke_invitation),
    resource("/api/admin/users", GET=auth_admin.list_users),
    resource("/api/admin/users/{id}", GET=auth_admin.get_user),
    resource("/api/admin/email-test", POST=auth_admin.email_test),
    resource("/api/admin/themes", GET=auth_tenants.list_themes, POST=auth_tenants.create_theme),
    resource(
        "/api/admin/themes/{id}",
        GET=auth_tenants.get_theme,
        PUT=auth_tenants.update_theme,
        DELETE=auth_tenants.delete_theme,
    ),
    resource("/api/admin/clients", GET=auth_tenants.list_clients, POST=auth_tenants.create_client),
    resource(
        "/api/admin/clients/{id}",
        GET=auth_tenants.get_client,
        PUT=auth_tenants.update_client,
        DELETE=auth_tenants.delete_client,
    ),
]


def routes_for(settings: Settings) -> list[BaseRoute]:
    """The routes this configuration serves: ROUTES, and the auth service's unless
    --no-auth-service (no path of theirs overlaps another's)."""
    return [*ROUTES, *(AUTH if settings.auth_service else ())]
