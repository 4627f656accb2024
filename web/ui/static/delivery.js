// One message's delivery, as the simulator tells it: the Delivery tab kept current by the live
// stream (its mark in the tab, open JSON kept open), the provider-JSON format, moving the clock
// to a scheduled event, and the reader's Open, recorded once per page while the HTML is shown.
(function () {
  "use strict";
  if (document.body.dataset.page !== "message") return;
  const { api, notify, failed, reason, tick, clockTimes, showMailboxes, liveStream } = window.mailyard;

  const article = document.querySelector("article.message");
  const id = article.dataset.id;
  const panel = document.getElementById("panel-delivery");
  const body = document.getElementById("delivery-body");
  const tabMark = document.getElementById("delivery-mark");
  const live = document.getElementById("delivery-live");
  let format = "";

  // -- the tab: fetched now, and again whenever the stream names this message ----------------

  let loading = false;
  let again = false;
  function load() {
    if (loading) {
      again = true; // one more when this one is done, never a pile of them
      return;
    }
    loading = true;
    const params = new URLSearchParams(format ? { format } : {});
    fetch(panel.dataset.url + (format ? "?" + params : ""), {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    })
      .then((r) =>
        r.text().then((text) => {
          if (!r.ok) throw new Error(reason(r.status, r.headers.get("Content-Type"), text));
          show(text);
        })
      )
      .catch((error) => {
        body.classList.add("stale");
        notify("Could not bring the delivery up to date: " + (error.name === "TypeError" ? window.mailyard.UNREACHABLE : error.message));
      })
      .finally(() => {
        loading = false;
        if (again) {
          again = false;
          load();
        }
      });
  }

  // Swap the new tab in, keeping what the reader did with the old one: open JSON, the focus.
  function show(text) {
    const holder = document.createElement("template");
    holder.innerHTML = text;
    const fresh = holder.content.querySelector("#delivery");
    if (!fresh) throw new Error("mailyard answered something that is not the delivery tab");
    const open = new Set(Array.from(body.querySelectorAll("details[open]")).map((d) => d.dataset.event));
    fresh.querySelectorAll("details[data-event]").forEach((d) => (d.open = open.has(d.dataset.event)));
    const focused = document.activeElement;
    let refocus = null; // the same control in the new tab: the format picker, an event's JSON
    if (focused && body.contains(focused)) {
      const event = focused.closest("[data-event]");
      if (focused.id) refocus = "#" + focused.id;
      else if (event) refocus = 'details[data-event="' + event.dataset.event + '"] summary';
    }
    const top = panel.scrollTop;
    body.classList.remove("stale");
    body.replaceChildren(fresh);
    panel.scrollTop = top;
    const target = refocus && body.querySelector(refocus);
    if (target) target.focus({ preventScroll: true });
    clockTimes(body); // event times to the second, in the reader's zone
    tick(body);
    showMark(fresh.dataset.state, fresh.dataset.label);
  }

  // The tab says where the message stands ("bounced", "delivered"), as the list's rows do.
  function showMark(state, label) {
    tabMark.hidden = !state;
    tabMark.className = "mark " + (state || "");
    tabMark.title = label || "";
    if (state === "delivered") {
      // As in the list: a quiet ✓, and the word for screen readers.
      const check = document.createElement("span");
      check.setAttribute("aria-hidden", "true");
      check.textContent = "✓";
      const word = document.createElement("span");
      word.className = "visually-hidden";
      word.textContent = "delivered";
      tabMark.replaceChildren(check, word);
    } else {
      tabMark.textContent = label || "";
    }
    const tab = document.getElementById("tab-delivery");
    if (tab.getAttribute("aria-selected") === "true") tab.scrollIntoView({ block: "nearest", inline: "nearest" });
  }


  body.addEventListener("change", (event) => {
    if (event.target.id !== "event-format") return;
    format = event.target.value;
    load();
  });
  body.addEventListener("click", (event) => {
    const button = event.target.closest("button.advance");
    if (!button) return;
    button.disabled = true;
    api("POST", "/api/v1/clock/advance", { seconds: Number(button.dataset.seconds) })
      .then(load, failed("Could not move the clock"))
      .finally(() => (button.disabled = false));
  });

  // -- live: the same stream as the inbox, for this message's mailbox -------------------------

  // The listing the page came from (one mailbox, or every mailbox when none is named): its
  // newer and older follow it, and its stream carries this message's news as well.
  const listing = new URL(window.location.href).searchParams.get("mailbox");
  const connect = liveStream(
    live,
    () => "/ui/events" + (listing ? "?mailbox=" + encodeURIComponent(listing) : ""),
    "Live: new events show as they happen",
    {
      open: load,
      deliveries: (data) => {
        if (data.more || data.ids.includes(id)) load();
      },
      messages: (data) => {
        if (data.mailboxes) showMailboxes(data.mailboxes);
        // Mail came or went: the page's pager, and whether this message is still there.
        document.dispatchEvent(new CustomEvent("mailyard:messages", { detail: data }));
      },
    }
  );

  // -- the reader's Open: once per page, when the HTML is on screen ---------------------------
  // Not in a hidden tab, nor in a page the browser prerenders on speculation; the POST carries
  // the page's form token, so no other site can record one either.

  const frame = document.getElementById("mail-frame");
  const htmlPanel = document.getElementById("panel-html");
  let opened = false;
  function token() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (ignored) {
      return "";
    }
  }
  function recordOpen() {
    if (opened || !frame || htmlPanel.hidden || document.hidden || document.prerendering) return;
    opened = true;
    fetch("/ui/message/" + encodeURIComponent(id) + "/open", {
      method: "POST",
      headers: { "X-CSRF-Token": token() },
      credentials: "same-origin",
    }).catch(() => {}); // an open not counted is no reason to bother the reader
  }
  if (frame) {
    new MutationObserver(recordOpen).observe(htmlPanel, { attributes: true, attributeFilter: ["hidden"] });
    document.addEventListener("visibilitychange", recordOpen);
  }
  // A page prerendered on speculation starts for real when the reader goes to it.
  document.addEventListener("prerenderingchange", () => {
    connect();
    recordOpen();
  });

  if (!document.hidden && !document.prerendering) connect();
  else load();
  recordOpen();
})();
