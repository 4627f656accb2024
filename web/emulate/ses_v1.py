"""SES v1 (the query API): `POST /` with a form body `Action=<Op>&...`, answered in XML.

`GET /` stays the inbox: only a POST reaches this dispatcher. Served actions:

- sends: SendEmail, SendRawEmail (with only `RawMessage`, the sender is the message's From and
  the recipients its To, Cc and Bcc; `Source` and `Destinations` replace them when given),
  SendTemplatedEmail;
- the account: GetSendQuota, GetSendStatistics, GetAccountSendingEnabled;
- identities: VerifyEmailIdentity, VerifyEmailAddress, VerifyDomainIdentity, VerifyDomainDkim,
  ListIdentities, ListVerifiedEmailAddresses, GetIdentityVerificationAttributes,
  DeleteIdentity, DeleteVerifiedEmailAddress;
- templates: CreateTemplate, GetTemplate, UpdateTemplate, DeleteTemplate, ListTemplates,
  TestRenderTemplate;
- configuration sets: CreateConfigurationSet, DescribeConfigurationSet, ListConfigurationSets,
  DeleteConfigurationSet.

They share SES v2's state per mailbox (an identity verified through v1 is verified for v2).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from mailyard.sandbox import InvalidInputError
from mailyard.web.emulate import ses_v1_ops as ops
from mailyard.web.emulate import ses_v1_resources as resources
from mailyard.web.emulate.ses_errors import SESError
from mailyard.web.emulate.ses_v1_xml import Form, Xml, parse_form, response, ses_error
from mailyard.web.emulate.ses_wire import Caller, authenticate
from mailyard.web.emulate.wire import body_limit, read_body
from mailyard.web.services import Services, services

Operation = Callable[[Services, Caller, Form], Awaitable[Xml | None]]

OPERATIONS: dict[str, Operation] = {
    "SendEmail": ops.send_email,
    "SendRawEmail": ops.send_raw_email,
    "SendTemplatedEmail": ops.send_templated_email,
    "GetSendQuota": ops.get_send_quota,
    "GetSendStatistics": ops.get_send_statistics,
    "GetAccountSendingEnabled": ops.get_account_sending_enabled,
    "VerifyEmailIdentity": ops.verify_email_identity,
    "VerifyEmailAddress": ops.verify_email_address,
    "VerifyDomainIdentity": ops.verify_domain_identity,
    "VerifyDomainDkim": ops.verify_domain_dkim,
    "ListIdentities": ops.list_identities,
    "ListVerifiedEmailAddresses": ops.list_verified_email_addresses,
    "GetIdentityVerificationAttributes": ops.get_identity_verification_attributes,
    "DeleteIdentity": ops.delete_identity,
    "DeleteVerifiedEmailAddress": ops.delete_verified_email_address,
    "CreateTemplate": resources.create_template,
    "GetTemplate": resources.get_template,
    "UpdateTemplate": resources.update_template,
    "DeleteTemplate": resources.delete_template,
    "ListTemplates": resources.list_templates,
    "TestRenderTemplate": resources.test_render_template,
    "CreateConfigurationSet": resources.create_configuration_set,
    "DescribeConfigurationSet": resources.describe_configuration_set,
    "ListConfigurationSets": resources.list_configuration_sets,
    "DeleteConfigurationSet": resources.delete_configuration_set,
}


async def dispatch(request: Request) -> Response:
    """`POST /`: authenticate, find the action, run it; every error as `<ErrorResponse>`."""
    svc = services(request)
    try:
        body = await read_body(request, body_limit(svc.settings.smtp_max_size))
        caller = authenticate(request, body, svc.emulators, svc.clock.now())
        form = parse_form(body)
        action = form.get("Action")
        if not action:
            raise SESError("MissingAction", 400, "The request must contain the parameter Action")
        operation = OPERATIONS.get(action)
        if operation is None:
            raise SESError("InvalidAction", 400, f"Unrecognized action: {action[:100]}")
        return response(action, await operation(svc, caller, form))
    except SESError as exc:
        return ses_error(exc)
    except InvalidInputError as exc:
        return ses_error(SESError("InvalidParameterValue", 400, str(exc)))
