// Inbucket's REST API as Supabase-era test helpers call it (plain fetch), against a real
// `mailyard serve`: the newest message of a recipient's mailbox, its link found in the HTML or
// in the text in Inbucket's `text ( url )` form.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MailpitClient } from "mailpit-api";

const base = process.env.MAILYARD_URL;
const inbucket = `${base}/api/v1/mailbox`;
const mp = new MailpitClient(base);

async function json(url, init) {
  const response = await fetch(url, init);
  assert.equal(response.status, 200, `${url}: ${response.status}`);
  return response.json();
}

test("the newest message of a mailbox, and the link in it", async () => {
  await mp.deleteMessages();
  const callback = "https://app.example/auth/callback?token=abc&type=invite";
  for (const subject of ["Confirm Your Signup", "Invitation"]) {
    await mp.sendMessage({
      From: { Email: "noreply@app.example", Name: "App" },
      To: [{ Email: "New.User+e2e@example.net" }],
      Subject: subject,
      HTML: `<h2>${subject}</h2><p><a href="${callback}">View Invitation</a></p>`,
    });
  }
  const email = "new.user@example.net";
  const messages = await json(`${inbucket}/${email.split("@")[0]}`);
  assert.ok(Array.isArray(messages));
  assert.deepEqual(
    messages.map((m) => m.subject),
    ["Confirm Your Signup", "Invitation"],
  );
  const newest = messages[messages.length - 1];
  const detail = await json(`${inbucket}/new.user/${newest.id}`);
  assert.equal(detail.body.html.match(/href="([^"]*auth\/callback[^"]*)"/)[1], callback);
  assert.equal(detail.body.text.match(/View Invitation \( (.+) \)/)[1], callback);
  const sorted = [...messages].sort((a, b) => new Date(b.date) - new Date(a.date));
  assert.equal(sorted[0].id, newest.id);
  const source = await fetch(`${inbucket}/new.user/${newest.id}/source`);
  assert.match(await source.text(), /Subject: Invitation/);
  assert.equal(await json(`${inbucket}/new.user/${newest.id}`, { method: "DELETE" }), "OK");
  assert.equal(await json(`${inbucket}/new.user`, { method: "DELETE" }), "OK");
  assert.deepEqual(await json(`${inbucket}/new.user`), []);
});
