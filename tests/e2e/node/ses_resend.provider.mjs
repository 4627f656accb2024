// The AWS SDK for JavaScript v3 (SES v2 and v1), nodemailer's SES transport and the Resend Node
// SDK, unchanged, against the real `mailyard serve` at MAILYARD_URL (issue 12). Run by
// tests/e2e/test_provider_node.py under Node's own test runner.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import {
  SESClient,
  GetSendQuotaCommand,
  MessageRejected,
  SendEmailCommand as SendEmailV1Command,
  SendRawEmailCommand,
} from "@aws-sdk/client-ses";
import {
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  GetAccountCommand,
  GetSuppressedDestinationCommand,
  ListConfigurationSetsCommand,
  ListEmailIdentitiesCommand,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-sesv2";
import nodemailer from "nodemailer";
import { Resend } from "resend";

const url = process.env.MAILYARD_URL;
assert.ok(url, "MAILYARD_URL is required");

function credentials() {
  return { accessKeyId: "AKIANODE" + randomUUID().slice(0, 8).toUpperCase(), secretAccessKey: "x" };
}

async function stored(messageId) {
  // LocalStack's retrieval route, served by mailyard over the same store
  const answer = await fetch(`${url}/_aws/ses?id=${encodeURIComponent(messageId)}`);
  return (await answer.json()).messages;
}

test("SES v2: send, identities and configuration sets in the POST list forms, errors", async () => {
  const client = new SESv2Client({ endpoint: url, region: "us-east-1", credentials: credentials() });
  const sent = await client.send(
    new SendEmailCommand({
      FromEmailAddress: "Acme <noreply@example.com>",
      Destination: { ToAddresses: ["jane@example.com"] },
      Content: { Simple: { Subject: { Data: "js v2" }, Body: { Text: { Data: "hello" } } } },
    }),
  );
  assert.match(sent.MessageId, /^0100[0-9a-f]{12}-/);
  assert.ok(sent.$metadata.requestId);
  assert.equal((await stored(sent.MessageId))[0].Subject, "js v2");

  const identity = await client.send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
  assert.equal(identity.DkimAttributes.Tokens.length, 3);
  const listed = await client.send(new ListEmailIdentitiesCommand({}));
  assert.deepEqual(listed.EmailIdentities.map((i) => i.IdentityName), ["example.com"]);
  await client.send(new CreateConfigurationSetCommand({ ConfigurationSetName: "js-set" }));
  const sets = await client.send(new ListConfigurationSetsCommand({}));
  assert.deepEqual(sets.ConfigurationSets, ["js-set"]);

  const account = await client.send(new GetAccountCommand({}));
  assert.equal(account.SendQuota.Max24HourSend, -1);
  assert.equal(typeof account.ProductionAccessEnabled, "boolean");

  await assert.rejects(
    client.send(new GetSuppressedDestinationCommand({ EmailAddress: "a+b@example.com" })),
    (error) => {
      assert.ok(error instanceof NotFoundException);
      assert.equal(error.$metadata.httpStatusCode, 404);
      assert.equal(error.message, "Email address a+b@example.com does not exist on your suppression list.");
      return true;
    },
  );
  const throttled = new SESv2Client({
    endpoint: url,
    region: "us-east-1",
    credentials: credentials(),
    maxAttempts: 1,
  });
  await assert.rejects(
    throttled.send(
      new SendEmailCommand({
        FromEmailAddress: "a@example.com",
        Destination: { ToAddresses: ["throttle-1x@sim.mailyard.test"] },
        Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } } },
      }),
    ),
    (error) => error instanceof TooManyRequestsException,
  );
});

test("SES v1: SendEmail, SendRawEmail, GetSendQuota, MessageRejected", async () => {
  const client = new SESClient({ endpoint: url, region: "us-east-1", credentials: credentials() });
  const sent = await client.send(
    new SendEmailV1Command({
      Source: "a@example.com",
      Destination: { ToAddresses: ["b@example.com"] },
      Message: { Subject: { Data: "js v1" }, Body: { Html: { Data: "<p>hi</p>" } } },
    }),
  );
  assert.ok(sent.MessageId && sent.$metadata.requestId);
  assert.equal((await stored(sent.MessageId))[0].Body.html_part, "<p>hi</p>");
  const raw = await client.send(
    new SendRawEmailCommand({
      RawMessage: { Data: Buffer.from("From: a@example.com\r\nTo: b@example.com\r\nSubject: raw\r\n\r\nx") },
    }),
  );
  assert.ok((await stored(raw.MessageId))[0].RawData.startsWith("From: a@example.com"));
  const quota = await client.send(new GetSendQuotaCommand({}));
  assert.equal(quota.Max24HourSend, -1);
  await assert.rejects(
    client.send(
      new SendEmailV1Command({
        Source: "a@example.com",
        Destination: { ToAddresses: ["what@sim.mailyard.test"] },
        Message: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } },
      }),
    ),
    (error) => error instanceof MessageRejected && error.Type === "Sender",
  );
});

test("nodemailer's SES transport: verify() and a send with Bcc", async () => {
  const sesClient = new SESv2Client({ endpoint: url, region: "us-east-1", credentials: credentials() });
  const transport = nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } });
  assert.equal(await transport.verify(), true); // its invalid@invalid probe is refused as SES does
  const info = await transport.sendMail({
    from: "Acme <a@example.com>",
    to: "jane@example.com",
    bcc: "audit@example.com",
    subject: "nodemailer",
    text: "hello",
  });
  const messageId = info.response;
  assert.match(info.messageId, /^<0100.*@email\.amazonses\.com>$/);
  const [message] = await stored(messageId);
  assert.deepEqual(message.Destination, undefined);
  assert.ok(message.RawData.includes("Subject: nodemailer"));
  assert.ok(!message.RawData.includes("audit@example.com")); // Bcc only in Destination
});

test("Resend Node SDK: send, get, batch, idempotency, errors", async () => {
  const resend = new Resend("re_node_" + randomUUID(), { baseUrl: url });
  const params = { from: "a@example.com", to: ["delivered@resend.dev"], subject: "node", text: "hi" };
  const first = await resend.emails.send(params, { idempotencyKey: "node-1" });
  assert.equal(first.error, null);
  const again = await resend.emails.send(params, { idempotencyKey: "node-1" });
  assert.equal(again.data.id, first.data.id);
  const got = await resend.emails.get(first.data.id);
  assert.equal(got.data.subject, "node");
  assert.ok(["sent", "delivered"].includes(got.data.last_event));
  const batch = await resend.batch.send([params, { ...params, subject: "two" }]);
  assert.equal(batch.data.data.length, 2);
  const invalid = await resend.emails.send({ ...params, to: ["nope"] });
  assert.equal(invalid.error.name, "validation_error");
  assert.equal(invalid.error.statusCode, 422);
  const conflict = await resend.emails.send({ ...params, subject: "other" }, { idempotencyKey: "node-1" });
  assert.equal(conflict.error.name, "invalid_idempotent_request");
  const wrongKey = await new Resend("sk_nope", { baseUrl: url }).emails.send(params);
  assert.equal(wrongKey.error.name, "invalid_api_key");
  const scheduled = await resend.emails.send({ ...params, scheduledAt: "in 1 hour" });
  assert.equal((await resend.emails.get(scheduled.data.id)).data.last_event, "scheduled");
  const canceled = await resend.emails.cancel(scheduled.data.id);
  assert.equal(canceled.error, null);
  assert.equal((await resend.emails.get(scheduled.data.id)).data.last_event, "canceled");
});
