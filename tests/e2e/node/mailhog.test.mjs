// MailHog's API as its clients use it, against a real `mailyard serve`: every method of the npm
// `mailhog` client (4.16.0), and the commands of `cypress-mailhog` (2.5.0) run by their own code
// with a stand-in for Cypress (`cy.request` done with fetch; no assertion retries).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import net from "node:net";
import { before, test } from "node:test";

const require = createRequire(import.meta.url);
const mailhog = require("mailhog");

const base = new URL(process.env.MAILYARD_URL);
const smtpPort = Number(process.env.MAILYARD_SMTP_PORT);
const mh = mailhog({ host: base.hostname, port: Number(base.port) });

// -- a small SMTP client: MailHog's clients read the envelope (Raw.From, To[]) -----------------
async function smtp(from, to, data) {
  const socket = net.connect(smtpPort, "127.0.0.1");
  socket.setEncoding("utf8");
  let buffer = "";
  const reply = () =>
    new Promise((resolve, reject) => {
      const check = () => {
        const lines = buffer.split("\r\n");
        const last = lines.findIndex((l) => /^\d{3} /.test(l));
        if (last >= 0) {
          buffer = lines.slice(last + 1).join("\r\n");
          socket.off("data", onData);
          lines[last].startsWith("5") ? reject(new Error(lines[last])) : resolve(lines[last]);
        }
      };
      const onData = (chunk) => {
        buffer += chunk;
        check();
      };
      socket.on("data", onData);
      check();
    });
  await reply();
  for (const line of ["EHLO client.example", `MAIL FROM:<${from}>`, ...to.map((t) => `RCPT TO:<${t}>`), "DATA"]) {
    socket.write(`${line}\r\n`);
    await reply();
  }
  socket.write(`${data.replace(/\r?\n/g, "\r\n")}\r\n.\r\n`);
  await reply();
  socket.end("QUIT\r\n");
}

const REPORT = `From: Reports <reports@example.com>
To: jane@example.net
Cc: carl@example.net
Subject: Monthly report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

See the report, caf=C3=A9.
--b1
Content-Type: text/html; charset=utf-8

<p>See the <b>report</b></p>
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQ=
--b1--`;

before(async () => {
  await mh.deleteAll();
  await smtp("app@example.com", ["jane@example.net"], "From: App <app@example.com>\nTo: jane@example.net\nSubject: =?utf-8?b?WW91ciBjb2RlIGlzIDQ5MzAyMQ==?=\nDate: Tue, 01 Jul 2025 10:00:00 +0200\n\nYour code is 493021");
  await smtp("reports@example.com", ["jane@example.net", "carl@example.net", "hidden@example.net"], REPORT);
});

test("messages(), with start and limit", async () => {
  const all = await mh.messages();
  assert.equal(all.total, 2);
  assert.equal(all.count, 2);
  const report = all.items[0]; // newest first
  assert.equal(report.subject, "Monthly report");
  assert.equal(report.from, "Reports <reports@example.com>");
  assert.equal(report.to, "jane@example.net");
  assert.equal(report.text.trim(), "See the report, café.");
  assert.equal(report.html.trim(), "<p>See the <b>report</b></p>");
  assert.deepEqual(report.attachments.map((a) => a.name), ["invoice.pdf"]);
  assert.ok(report.deliveryDate instanceof Date && !Number.isNaN(report.deliveryDate.getTime()));
  const code = all.items[1];
  assert.equal(code.subject, "Your code is 493021"); // the client decodes the encoded word
  assert.equal(code.date.toISOString(), "2025-07-01T08:00:00.000Z");
  const page = await mh.messages(1, 1);
  assert.equal(page.count, 1);
  assert.equal(page.items[0].ID, code.ID);
});

test("search(), latestFrom(), latestTo(), latestContaining()", async () => {
  assert.equal((await mh.search("report")).count, 1);
  assert.equal((await mh.search("reports@example.com", "from")).count, 1);
  assert.equal((await mh.search("hidden@example.net", "to")).count, 1); // the envelope's
  assert.equal((await mh.latestFrom("app@example.com")).subject, "Your code is 493021");
  assert.equal((await mh.latestTo("carl@example.net")).subject, "Monthly report");
  assert.equal((await mh.latestContaining("493021")).subject, "Your code is 493021");
  assert.ok(!(await mh.latestContaining("nothing like it")));
});

// -- cypress-mailhog, run by its own code ----------------------------------------------------
class Chain {
  constructor(promise) {
    this.promise = Promise.resolve(promise);
  }
  then(fn) {
    return new Chain(this.promise.then((v) => (fn ? fn(v) : v)).then(unwrap));
  }
  its(key) {
    return this.then((v) => v[key]);
  }
  should() {
    return this;
  }
}
const unwrap = (v) => (v instanceof Chain ? v.promise : v);
const commands = new Map();
const cy = {
  request(options) {
    return new Chain(
      fetch(options.url, { method: options.method }).then(async (response) => {
        const text = await response.text();
        if (!response.ok && options.failOnStatusCode !== false) {
          throw new Error(`cy.request failed: ${response.status} ${options.url}`);
        }
        const json = /json/.test(response.headers.get("content-type") ?? "");
        return { status: response.status, body: json && text ? JSON.parse(text) : text };
      }),
    );
  },
  wrap: (value) => new Chain(value),
  verifyUpcomingAssertions: (value) => new Chain(value),
};
globalThis.cy = cy;
globalThis.Cypress = {
  env: (key) => ({ mailHogUrl: `${base.origin}/` })[key],
  config: (key) => ({ defaultCommandTimeout: 200 })[key],
  Commands: {
    add(name, optionsOrFn, fn) {
      const command = fn ?? optionsOrFn;
      commands.set(name, command);
      cy[name] = (...args) => new Chain(command(...args));
    },
  },
};
require("cypress-mailhog");
const run = (name, ...args) => unwrap(commands.get(name)(...args));

test("cypress-mailhog: mail collections, filters and single-mail commands", async () => {
  const all = await run("mhGetAllMails");
  assert.equal(all.length, 2);
  const [report] = await run("mhGetMailsBySubject", "Monthly report");
  assert.ok(report);
  assert.equal((await run("mhGetMailsByRecipient", "hidden@example.net")).length, 1);
  assert.equal((await run("mhGetMailsBySender", "app@example.com")).length, 1);
  assert.equal((await run("mhSearchMails", "to", "carl@example.net")).length, 1);
  assert.equal((await run("mhFilterBySubject", all, "Monthly report")).length, 1);
  assert.equal((await run("mhFilterByRecipient", all, "jane@example.net")).length, 2);
  assert.equal((await run("mhFilterBySender", all, "reports@example.com")).length, 1);
  assert.equal(await run("mhFirst", all), all[0]);
  assert.equal(await run("mhGetSubject", report), "Monthly report");
  assert.match(await run("mhGetBody", report), /--b1/);
  assert.equal(await run("mhGetSender", report), "reports@example.com");
  assert.deepEqual(await run("mhGetRecipients", report), [
    "jane@example.net",
    "carl@example.net",
    "hidden@example.net",
  ]);
  assert.deepEqual(await run("mhGetAttachments", report), ['"invoice.pdf"']);
  assert.equal(await run("mhGetJimMode"), false); // no Jim: MailHog's 404
});

test("deleteMessage() and deleteAll(), as cypress-mailhog's mhDeleteAll too", async () => {
  const { items } = await mh.messages();
  const deleted = await mh.deleteMessage(items[0].ID);
  assert.equal(deleted.statusCode, 200);
  assert.equal((await mh.messages()).total, 1);
  const emptied = await mh.deleteAll(); // MailHog's empty answer, not Mailpit's "ok"
  assert.equal(emptied.statusCode, 200);
  assert.equal((await mh.messages()).total, 0);
  await smtp("app@example.com", ["jane@example.net"], "Subject: again\n\nx");
  await run("mhDeleteAll");
  assert.equal((await mh.messages()).total, 0);
});
