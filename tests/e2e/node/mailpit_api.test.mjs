// Every method of the npm `mailpit-api` client (2.1.0), unchanged, against a real `mailyard
// serve` (started by tests/e2e/test_node_clients.py, which sets MAILYARD_URL; its relay is a
// second mailyard that accepts *@example.net).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";

import { MailpitClient } from "mailpit-api";

const base = process.env.MAILYARD_URL;
const mp = new MailpitClient(base);
// The message's link points here, on loopback (the server allows internal requests).
const pages = createServer((req, res) => res.writeHead(req.url === "/ok" ? 200 : 404).end());
await new Promise((resolve) => pages.listen(0, "127.0.0.1", resolve));
const LINK = `http://127.0.0.1:${pages.address().port}/ok`;
after(() => pages.close());
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async function seed() {
  await mp.deleteMessages();
  const code = await mp.sendMessage({
    From: { Email: "app@example.com", Name: "App" },
    To: [{ Email: "jane@example.net", Name: "Jane" }],
    Subject: "Your code is 493021",
    Text: "Reset: https://auth.example.com/reset?token=abc\nYour invoice is attached.",
    Headers: { "Delivered-To": "jane@example.net" },
  });
  const report = await mp.sendMessage({
    From: { Email: "reports@example.com" },
    To: [{ Email: "jane@example.net" }],
    Subject: "Monthly report",
    HTML: `<p>See the <b>report</b> <img src="cid:logo"> <a href="${LINK}">here</a></p>`,
    Attachments: [
      { Content: `data:image/png;base64,${PNG}`, Filename: "chart.png", ContentType: "image/png" },
      { Content: PNG, Filename: "logo.png", ContentType: "image/png", ContentID: "logo" },
    ],
    Tags: ["Reports"],
  });
  return { code: code.ID, report: report.ID };
}

const ids = await seed();

test("getInfo and getConfiguration", async () => {
  const info = await mp.getInfo();
  assert.equal(info.Messages, 2);
  const config = await mp.getConfiguration();
  assert.equal(config.MessageRelay.Enabled, true);
});

test("getMessageSummary, by ID and latest", async () => {
  const message = await mp.getMessageSummary(ids.code);
  assert.equal(message.Subject, "Your code is 493021");
  assert.match(message.Date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal((await mp.getMessageSummary()).ID, ids.report);
});

test("getMessageHeaders in Mailpit's canonical form", async () => {
  const headers = await mp.getMessageHeaders(ids.code);
  assert.deepEqual(headers["Delivered-To"], ["jane@example.net"]);
  assert.ok(headers["Message-Id"] && headers["Mime-Version"]);
});

test("getMessageAttachment and getAttachmentThumbnail", async () => {
  const message = await mp.getMessageSummary(ids.report);
  const chart = message.Attachments.find((a) => a.FileName === "chart.png");
  assert.ok(chart, JSON.stringify(message.Attachments));
  const blob = await mp.getMessageAttachment(ids.report, chart.PartID);
  assert.equal(blob.type, "image/png");
  assert.equal(Buffer.from(await blob.arrayBuffer()).toString("base64"), PNG);
  const thumb = await mp.getAttachmentThumbnail(ids.report, chart.PartID);
  assert.equal(thumb.type, "image/jpeg");
  assert.ok(thumb.size > 100);
  assert.deepEqual(
    message.Inline.map((p) => p.FileName),
    ["logo.png"],
  );
});

test("getMessageSource", async () => {
  assert.match(await mp.getMessageSource(ids.code), /Subject: Your code is 493021/);
});

test("releaseMessage relays to the configured relay", async () => {
  assert.equal(await mp.releaseMessage(ids.code, { To: ["relayed@example.net"] }), "ok");
  await assert.rejects(
    mp.releaseMessage(ids.code, { To: ["someone@elsewhere.example"] }),
    /400 .*do not match the allowlist/,
  );
});

test("listMessages, searchMessages", async () => {
  const list = await mp.listMessages();
  assert.equal(list.messages_count, 2);
  assert.equal(list.messages[0].ID, ids.report);
  const found = await mp.searchMessages({ query: "subject:report", start: 0, limit: 10 });
  assert.deepEqual(
    found.messages.map((m) => m.ID),
    [ids.report],
  );
  await assert.rejects(mp.searchMessages({ query: "" }), /400 .*Error: no search query/);
});

test("setReadStatus: IDs, a search, and everything", async () => {
  await mp.setReadStatus(); // `{}`: every message unread, as in Mailpit
  assert.equal((await mp.listMessages()).unread, 2);
  assert.equal(await mp.setReadStatus({ IDs: [ids.code], Read: true }), "ok");
  assert.equal((await mp.listMessages()).unread, 1);
  await mp.setReadStatus({ Search: "subject:report", Read: true }, { tz: "Europe/Berlin" });
  assert.equal((await mp.listMessages()).unread, 0);
});

test("waitForMessage and waitForMessages", async () => {
  const message = await mp.waitForMessage({ query: "subject:code" }, { timeout: 3000, interval: 100 });
  assert.equal(message.ID, ids.code);
  const waited = await mp.waitForMessages({ count: 2 }, { timeout: 3000, interval: 100 });
  assert.equal(waited.messages_count, 2);
  await assert.rejects(
    mp.waitForMessage({ query: "subject:never-sent" }, { timeout: 300, interval: 100 }),
    /Timeout/,
  );
});

test("htmlCheck, linkCheck, spamAssassinCheck", async () => {
  const html = await mp.htmlCheck(ids.report);
  assert.ok(html.Total.Nodes > 0 && Array.isArray(html.Warnings));
  await assert.rejects(mp.htmlCheck(ids.code), /400 .*message does not contain HTML/);
  const links = await mp.linkCheck(ids.report);
  assert.deepEqual(links, { Errors: 0, Links: [{ URL: LINK, StatusCode: 200, Status: "OK" }] });
  const spam = await mp.spamAssassinCheck(ids.code);
  assert.equal(spam.IsSpam, false);
});

test("getTags, setTags, renameTag, deleteTag", async () => {
  assert.deepEqual(await mp.getTags(), ["Reports"]);
  assert.equal(await mp.setTags({ IDs: [ids.code], Tags: ["alpha", "Beta!"] }), "ok");
  assert.deepEqual((await mp.getMessageSummary(ids.code)).Tags, ["alpha", "Beta"]);
  assert.equal(await mp.renameTag("alpha", "gamma"), "ok");
  await assert.rejects(mp.renameTag("gamma", "Beta"), /400 .*tag already exists: Beta/);
  assert.equal(await mp.deleteTag("gamma"), "ok");
  await assert.rejects(mp.deleteTag("gamma"), /400 .*tag not found: gamma/);
  assert.equal(await mp.setTags({ IDs: [ids.code] }), "ok"); // no Tags: removes them
  assert.deepEqual((await mp.getMessageSummary(ids.code)).Tags, []);
});

test("getChaosTriggers and setChaosTriggers answer as Mailpit does", async () => {
  // Mailpit answers 400 "Chaos is not enabled" unless started with chaos on.
  for (const call of [() => mp.getChaosTriggers(), () => mp.setChaosTriggers({})]) {
    try {
      const triggers = await call();
      assert.ok("Sender" in triggers && "Recipient" in triggers && "Authentication" in triggers);
    } catch (error) {
      assert.match(String(error.message), /Mailpit API Error: 400 /);
    }
  }
});

test("renderMessageHTML and renderMessageText", async () => {
  const html = await mp.renderMessageHTML(ids.report);
  assert.match(html, /<b>report<\/b>/);
  assert.match(await mp.renderMessageHTML(ids.report, 1), /target="_blank"/);
  assert.ok((await mp.renderMessageText(ids.report)).includes(`here ( ${LINK} )`));
});

test("sendMessage errors in Mailpit's shape", async () => {
  await assert.rejects(
    mp.sendMessage({ From: { Email: "a@example.com" } }),
    /400 .*"Error":/,
  );
});

test("deleteMessagesBySearch and deleteMessages", async () => {
  assert.equal(await mp.deleteMessagesBySearch({ query: "subject:report" }), "ok");
  assert.equal((await mp.listMessages()).total, 1);
  assert.equal(await mp.deleteMessages({ IDs: [ids.code] }), "ok");
  assert.equal((await mp.listMessages()).total, 0);
  await seed();
  assert.equal(await mp.deleteMessages(), "ok");
  assert.equal((await mp.listMessages()).total, 0);
});
