// mailyard's pages, shared behaviour: notices for every failure, the JSON API helper, htmx's
// error responses put where they belong, times that stay current, the mailbox switcher.
// No build step; inbox.js and message.js use `window.mailyard`. The CSP allows no inline code.
(function () {
  "use strict";

  const toasts = document.getElementById("toasts");

  // A notice: errors (role=alert) stay until dismissed; others (role=status) leave after a while.
  function notify(text, kind) {
    const error = kind !== "info";
    const same = Array.from(toasts.children).find((t) => t.dataset.text === text);
    if (same) same.remove(); // the same failure again: one notice, moved to the end
    const toast = document.createElement("div");
    toast.className = "toast " + (error ? "error" : "info");
    toast.setAttribute("role", error ? "alert" : "status");
    toast.dataset.text = text;
    const message = document.createElement("span");
    message.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(message, close);
    toasts.append(toast);
    if (!error) setTimeout(() => toast.remove(), 5000);
    return toast;
  }

  // What a failed response says: the API's {"error": {"message"}}, a fragment's text, or the status.
  function reason(status, contentType, text) {
    if ((contentType || "").includes("json")) {
      try {
        const body = JSON.parse(text);
        if (body && body.error && body.error.message) return body.error.message;
      } catch (ignored) {
        /* not JSON after all: fall through */
      }
    }
    const holder = document.createElement("template");
    holder.innerHTML = text || "";
    const said = (holder.content.textContent || "").trim().replace(/\s+/g, " ");
    return said && said.length < 300 ? said : "the server answered " + status;
  }

  const UNREACHABLE = "mailyard did not answer: is it still running?";

  // The JSON API, same origin. A failure rejects with an Error whose message says why.
  function api(method, url, body) {
    return fetch(url, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    }).then(
      (r) => {
        if (r.ok) return r;
        return r.text().then((text) => {
          throw new Error(reason(r.status, r.headers.get("Content-Type"), text));
        });
      },
      () => {
        throw new Error(UNREACHABLE);
      }
    );
  }

  // `what` failed: say so, visibly. Returns a handler for a promise's catch.
  const failed = (what) => (error) => {
    notify(what + ": " + error.message);
  };

  // htmx swaps error responses too (see base.html's htmx-config). Put each where it can be read:
  // an element with data-errors="#place" wants them there; a table cannot hold a <div>; JSON
  // (refusals by the middleware) becomes text.
  function errorFragment(text) {
    const div = document.createElement("div");
    div.className = "error";
    div.setAttribute("role", "alert");
    div.textContent = text;
    return div.outerHTML;
  }
  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    if (!detail.isError) return;
    const xhr = detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (!type.includes("text/html") || !detail.serverResponse.trim()) {
      detail.serverResponse = errorFragment(reason(xhr.status, type, detail.serverResponse));
    }
    const source = detail.requestConfig && detail.requestConfig.elt;
    const owner = source && source.closest("[data-errors]");
    const place = owner && document.querySelector(owner.dataset.errors);
    if (place) {
      detail.target = place;
      detail.swapOverride = "innerHTML";
    } else if (detail.target.closest("table")) {
      if (!/^\s*<tr/i.test(detail.serverResponse)) {
        detail.serverResponse = '<tr class="error-row"><td colspan="4">' + detail.serverResponse + "</td></tr>";
      }
    }
    detail.shouldSwap = true;
  });
  document.addEventListener("htmx:sendError", () => notify(UNREACHABLE));
  document.addEventListener("htmx:timeout", () => notify("mailyard took too long to answer"));

  // Relative times ("3 min ago") move on by themselves; app.css and templating.relative agree.
  function relative(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const units = [["d", 86400], ["h", 3600], ["min", 60]];
    for (const [unit, length] of units) if (seconds >= length) return Math.floor(seconds / length) + " " + unit + " ago";
    return seconds < 10 ? "just now" : seconds + " s ago";
  }
  // One date format everywhere, the server's (templating.readable): "Thu 3 Dec 2026, 15:11 UTC",
  // here in the reader's zone, 24-hour, whatever the browser's language (en-US parts: "Sep", not "Sept").
  const localParts = new Intl.DateTimeFormat("en-US", {
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const local = {
    format(then) {
      const p = Object.fromEntries(localParts.formatToParts(then).map((part) => [part.type, part.value]));
      return p.weekday + " " + p.day + " " + p.month + " " + p.year + ", " + p.hour + ":" + p.minute + " " + p.timeZoneName;
    },
  };
  function tick(root) {
    const now = Date.now();
    (root || document).querySelectorAll("time.ago[datetime]").forEach((time) => {
      const then = Date.parse(time.getAttribute("datetime"));
      if (!Number.isNaN(then)) {
        const text = relative((now - then) / 1000);
        if (time.textContent !== text) time.textContent = text;
        // The server's tooltip says the time in UTC: the reader's own zone instead.
        if (time.title.endsWith(" UTC")) time.title = local.format(then);
      }
    });
  }
  function localTimes(root) {
    (root || document).querySelectorAll("time.local[datetime]").forEach((time) => {
      const then = Date.parse(time.getAttribute("datetime"));
      if (!Number.isNaN(then)) time.textContent = local.format(then);
    });
  }
  // Clock times (an event's, a retry's), to the second in the reader's zone; the server
  // writes "HH:MM:SS UTC" for a page read without scripts.
  const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  function clockTimes(root) {
    (root || document).querySelectorAll("time.clock[datetime]").forEach((time) => {
      const then = Date.parse(time.getAttribute("datetime"));
      if (!Number.isNaN(then)) time.textContent = clock.format(then);
    });
  }
  tick();
  localTimes();
  clockTimes();
  // Whatever htmx brings in (a section that redraws itself, a fragment) reads the same way.
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail && event.detail.elt;
    if (!(root instanceof Element)) return;
    tick(root);
    localTimes(root);
    clockTimes(root);
  });
  setInterval(tick, 15000);
  document.addEventListener("visibilitychange", () => document.hidden || tick());

  // The mailbox switcher: every page shows the chosen mailbox (the inbox keeps its search).
  const mailbox = document.getElementById("mailbox");
  if (mailbox) {
    mailbox.addEventListener("change", () => {
      const url = new URL("/", window.location.href);
      const q = document.body.dataset.page === "inbox" && document.getElementById("q");
      if (mailbox.value) url.searchParams.set("mailbox", mailbox.value);
      if (q && q.value.trim()) url.searchParams.set("q", q.value.trim());
      window.location.assign(url.toString());
    });
  }
  // Every mailbox's counts, as the event stream or the API gives them: {name: [total, unread]}.
  function showMailboxes(counts) {
    if (!mailbox) return;
    const label = (name, c) => name + " (" + c[0] + (c[1] ? ", " + c[1] + " unread" : "") + ")";
    const chosen = mailbox.value;
    const names = Object.keys(counts).sort();
    if (chosen && !names.includes(chosen)) names.push(chosen);
    const options = [mailbox.options[0]].concat(
      names.map((name) => {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = label(name, counts[name] || [0, 0]);
        option.selected = name === chosen;
        return option;
      })
    );
    mailbox.replaceChildren(...options);
  }
  function refreshMailboxes() {
    return api("GET", "/api/v1/mailboxes")
      .then((r) => r.json())
      .then((body) => {
        const counts = {};
        body.mailboxes.forEach((m) => (counts[m.name] = [m.total, m.unread]));
        showMailboxes(counts);
      })
      .catch(() => {}); // the counts are a convenience; the action itself already succeeded
  }

  document.addEventListener("click", (event) => {
    const copy = event.target.closest("[data-copy]");
    if (!copy) return;
    navigator.clipboard.writeText(copy.dataset.copy).then(
      () => {
        const before = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(() => (copy.textContent = before), 1200);
      },
      () => notify("Could not copy: the browser refused the clipboard")
    );
  });

  // A key for the page, unless the user is typing or holding a modifier.
  const isShortcut = (event) =>
    !event.ctrlKey && !event.metaKey && !event.altKey && !event.target.closest("input, select, textarea, [contenteditable]");

  // A page's live stream (/ui/events at `url()`), its state said by `indicator`. `handlers.open`
  // runs on each (re)connection (to catch up on what happened while it was down); the others get
  // their event's data by name. A hidden tab lets go of its stream (a browser allows six
  // connections per server) and catches up when it is shown again. Returns connect, for the page
  // to start it when it should.
  function liveStream(indicator, url, liveText, handlers) {
    let stream = null;
    const say = (state, text) => {
      indicator.dataset.state = state;
      if (indicator.textContent !== text) indicator.textContent = text;
    };
    function connect() {
      if (stream) stream.close();
      stream = new EventSource(url());
      stream.addEventListener("open", () => {
        say("live", liveText);
        handlers.open();
      });
      for (const [name, handle] of Object.entries(handlers)) {
        if (name !== "open") stream.addEventListener(name, (event) => handle(JSON.parse(event.data)));
      }
      stream.addEventListener("error", () => {
        if (stream.readyState === EventSource.CLOSED) {
          say("down", "Live updates stopped: mailyard refused the stream. Retrying…");
          setTimeout(() => document.hidden || connect(), 5000);
        } else {
          say("down", "Live updates paused: mailyard is not answering. Retrying…");
        }
      });
    }
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        if (stream) stream.close();
        stream = null;
        say("paused", "Paused while the tab is hidden");
      } else {
        connect();
      }
    });
    return connect;
  }

  window.mailyard = { api, notify, failed, reason, tick, localTimes, clockTimes, showMailboxes, refreshMailboxes, isShortcut, liveStream, UNREACHABLE };

  // The suppression list follows the simulator and the API: told that a list changed, the
  // page asks for the entries again (the form being filled in is left as it is).
  if (document.body.dataset.page === "suppressions") {
    const shown = () => new URL(window.location.href).searchParams.get("mailbox") || "";
    const query = () => (shown() ? "?mailbox=" + encodeURIComponent(shown()) : "");
    let due = null;
    const refresh = () => {
      if (due) return;
      due = setTimeout(() => {
        due = null;
        htmx
          .ajax("GET", "/ui/suppressions" + query(), {
            target: "#suppression-entries",
            swap: "outerHTML",
            select: "#suppression-entries",
            selectOOB: "#suppression-count",
          })
          .catch(failed("Could not bring the suppression list up to date"));
      }, 100);
    };
    const connect = liveStream(document.getElementById("live"), () => "/ui/events" + query(), "Live", {
      open: refresh,
      suppressions: refresh,
    });
    if (!document.hidden) connect();
  }

  if (document.body.dataset.page === "preview") {
    const dark = document.getElementById("dark-all");
    dark.addEventListener("click", () => {
      const on = dark.getAttribute("aria-pressed") !== "true";
      dark.setAttribute("aria-pressed", on ? "true" : "false");
      document.querySelectorAll(".preview-frame").forEach((f) => {
        f.classList.toggle("dark", on);
        const url = new URL(f.src, window.location.href);
        url.searchParams.set("scheme", on ? "dark" : "light");
        f.src = url.pathname + url.search;
      });
    });
  }
})();
