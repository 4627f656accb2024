// Mailpit's event stream (GET /api/events, a WebSocket) against a real `mailyard serve`.
//
// `mailpit-ws` is not on the npm registry (its source is packages/mailpit-ws of
// github.com/mpspahr/mailpit-api); the same code, with the same protocol handling, shipped as
// `onEvent`/`waitForEvent`/`disconnect` of `mailpit-api` 1.x, installed here as `mailpit-api-1`
// (1.9.1). The second half speaks the protocol with a plain WebSocket client (`ws`), as
// mailpit-ws does: one JSON text frame per event, dispatched on its `Type`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MailpitClient } from "mailpit-api-1";
import WebSocket from "ws";

const base = process.env.MAILYARD_URL;
const mp = new MailpitClient(base);
const wsURL = `${base.replace(/^http/, "ws")}/api/events`;

function send(subject) {
  return mp.sendMessage({
    From: { Email: "ws@example.com" },
    To: [{ Email: "rcpt@example.net" }],
    Subject: subject,
    Text: "hi",
  });
}

test("waitForEvent: stats on connecting, then new, update, delete, prune, truncate", async () => {
  const stats = await mp.waitForEvent("stats", 5000);
  assert.deepEqual(Object.keys(stats.Data).sort(), ["Total", "Unread", "Version"]);

  const created = mp.waitForEvent("new", 5000);
  const { ID } = await send("ws test");
  const message = (await created).Data;
  assert.equal(message.ID, ID);
  assert.equal(message.Subject, "ws test");
  assert.ok(Array.isArray(message.To) && "Created" in message && message.Read === false);

  const updated = mp.waitForEvent("update", 5000);
  await mp.setReadStatus({ IDs: [ID], Read: true });
  assert.deepEqual((await updated).Data, { ID, Read: true });

  const tagged = mp.waitForEvent("update", 5000);
  await mp.setTags({ IDs: [ID], Tags: ["one"] });
  assert.deepEqual((await tagged).Data, { ID, Tags: ["one"] });

  const pruned = mp.waitForEvent("prune", 5000);
  await mp.renameTag("one", "two");
  assert.equal((await pruned).Data, null);

  const deleted = mp.waitForEvent("delete", 5000);
  await mp.deleteMessages({ IDs: [ID] });
  assert.deepEqual((await deleted).Data, { ID });

  await send("to be truncated");
  const truncated = mp.waitForEvent("truncate", 5000);
  await mp.deleteMessages();
  assert.equal((await truncated).Data, null);
});

test("onEvent('*') sees every event until unsubscribed; disconnect closes", async () => {
  const seen = [];
  const unsubscribe = mp.onEvent("*", (event) => seen.push(event.Type));
  const created = mp.waitForEvent("new", 5000);
  await send("star");
  await created;
  const stats = mp.waitForEvent("stats", 5000); // at most 250 ms after a change
  await stats;
  unsubscribe();
  assert.ok(seen.includes("new") && seen.includes("stats"), seen.join(","));
  const count = seen.length;
  const unheard = mp.waitForEvent("new", 5000); // listening before the send, as above
  await send("unheard");
  await unheard;
  assert.equal(seen.length, count);
  mp.disconnect();
  await assert.rejects(mp.waitForEvent("never", 200), /Timeout/);
  mp.disconnect();
});

function open(headers = {}) {
  const socket = new WebSocket(wsURL, { headers });
  const frames = [];
  socket.on("message", (data, binary) => {
    assert.equal(binary, false);
    frames.push(JSON.parse(data.toString()));
  });
  return { socket, frames };
}

async function until(predicate, what) {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("a plain WebSocket gets one {Type, Data} text frame per event", async () => {
  const { socket, frames } = open();
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  await until(() => frames.some((f) => f.Type === "stats"), "stats");
  socket.send("clients may talk; the server ignores it");
  const { ID } = await send("plain socket");
  await until(() => frames.some((f) => f.Type === "new" && f.Data.ID === ID), "new");
  for (const frame of frames) assert.deepEqual(Object.keys(frame), ["Type", "Data"]);
  socket.close(1000);
  await new Promise((resolve) => socket.once("close", resolve));
});

test("a page of another site may not open the stream", async () => {
  const { socket } = open({ Origin: "http://evil.example" });
  const status = await new Promise((resolve) => {
    socket.once("unexpected-response", (_request, response) => resolve(response.statusCode));
    socket.once("open", () => resolve("open"));
  });
  assert.equal(status, 403);
});
