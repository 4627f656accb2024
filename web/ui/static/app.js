// mailyard's inbox behaviour: selection, keyboard, live updates, message tabs. No build step.
// Message actions call the JSON API (same origin; the server refuses other origins).
(function () {
  "use strict";

  const page = document.body.dataset.page;
  const api = (method, url, body) =>
    fetch(url, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    }).then((r) => {
      if (!r.ok) throw new Error(method + " " + url + ": " + r.status);
      return r;
    });

  // Mailbox switcher: every page shows the chosen mailbox.
  const mailbox = document.getElementById("mailbox");
  if (mailbox) {
    mailbox.addEventListener("change", () => {
      const url = new URL(window.location.href);
      url.pathname = "/";
      url.search = "";
      if (mailbox.value) url.searchParams.set("mailbox", mailbox.value);
      window.location.assign(url.toString());
    });
  }

  document.addEventListener("click", (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      navigator.clipboard.writeText(copy.dataset.copy).then(() => {
        const before = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(() => (copy.textContent = before), 1200);
      });
    }
  });

  if (page === "inbox") inbox();
  if (page === "message") message();
  if (page === "preview") preview();

  function inbox() {
    const rows = document.getElementById("rows");
    const search = document.getElementById("q");
    const buttons = ["mark-read", "mark-unread", "delete-selected"].map((id) => document.getElementById(id));
    const query = () => (search.value || "").trim();
    const box = () => (mailbox && mailbox.value) || "";
    const baseTitle = "Inbox · mailyard";

    const selectedIds = () =>
      Array.from(rows.querySelectorAll("tr.row input.select:checked")).map((c) => c.closest("tr").dataset.id);
    const refreshButtons = () => buttons.forEach((b) => (b.disabled = selectedIds().length === 0));
    const current = () => rows.querySelector("tr.row.selected");
    const setTitle = (unread) => (document.title = (unread > 0 ? "(" + unread + ") " : "") + baseTitle);

    rows.addEventListener("change", refreshButtons);
    rows.addEventListener("click", (event) => {
      const row = event.target.closest("tr.row");
      if (!row || event.target.closest("input, a, button")) return;
      window.location.assign("/message/" + row.dataset.id + (box() ? "?mailbox=" + encodeURIComponent(box()) : ""));
    });
    document.body.addEventListener("htmx:afterSwap", refreshButtons);

    const reloadRows = () =>
      htmx.ajax("GET", "/ui/rows?" + new URLSearchParams({ q: query(), mailbox: box() }), { target: "#rows", swap: "innerHTML" });

    document.getElementById("delete-selected").addEventListener("click", () => {
      const ids = selectedIds();
      if (!ids.length) return;
      api("DELETE", "/api/v1/messages", { IDs: ids }).then(reloadRows);
    });
    document.getElementById("delete-all").addEventListener("click", () => {
      const q = query();
      const what = q ? "every message matching “" + q + "”" : "every message" + (box() ? " in " + box() : "");
      if (!window.confirm("Delete " + what + "?")) return;
      const params = new URLSearchParams(box() ? { mailbox: box() } : {});
      if (q) {
        params.set("query", q);
        api("DELETE", "/api/v1/search?" + params).then(reloadRows);
      } else {
        api("DELETE", "/api/v1/messages?" + params).then(reloadRows);
      }
    });
    const mark = (read) => () => api("PUT", "/api/v1/messages", { IDs: selectedIds(), Read: read }).then(reloadRows);
    document.getElementById("mark-read").addEventListener("click", mark(true));
    document.getElementById("mark-unread").addEventListener("click", mark(false));

    // Keyboard: j/k move, Enter/o open, x select, Delete delete, / search, Esc clear.
    document.addEventListener("keydown", (event) => {
      if (event.target.matches("input, select, textarea")) {
        if (event.key === "Escape") {
          event.target.blur();
          if (event.target === search && search.value) {
            search.value = "";
            reloadRows();
          }
        }
        return;
      }
      const all = Array.from(rows.querySelectorAll("tr.row"));
      const at = all.indexOf(current());
      const move = (to) => {
        if (!all.length) return;
        const next = all[Math.max(0, Math.min(all.length - 1, to))];
        all.forEach((r) => r.classList.remove("selected"));
        next.classList.add("selected");
        next.focus();
        next.scrollIntoView({ block: "nearest" });
      };
      if (event.key === "j") move(at + 1);
      else if (event.key === "k") move(at < 0 ? 0 : at - 1);
      else if ((event.key === "Enter" || event.key === "o") && current()) current().click();
      else if (event.key === "x" && current()) {
        const box = current().querySelector("input.select");
        box.checked = !box.checked;
        refreshButtons();
      } else if ((event.key === "Delete" || event.key === "#") && current()) {
        const ids = selectedIds().length ? selectedIds() : [current().dataset.id];
        api("DELETE", "/api/v1/messages", { IDs: ids }).then(reloadRows);
      } else if (event.key === "/") {
        event.preventDefault();
        search.focus();
      } else return;
    });

    // New mail appears live: the stream says the store moved; fetch the rows newer than the top.
    const stream = new EventSource("/ui/events" + (box() ? "?mailbox=" + encodeURIComponent(box()) : ""));
    stream.addEventListener("messages", (event) => {
      const data = JSON.parse(event.data);
      setTitle(data.unread);
      const top = rows.querySelector("tr.row");
      const after = top ? top.dataset.seq : "0";
      const params = new URLSearchParams({ after: after, q: query(), mailbox: box() });
      fetch("/ui/rows?" + params, { credentials: "same-origin" })
        .then((r) => r.text())
        .then((html) => {
          if (!html.trim()) return;
          const empty = rows.querySelector("tr.empty");
          if (empty) empty.remove();
          rows.insertAdjacentHTML("afterbegin", html);
          htmx.process(rows);
          const summary = document.getElementById("summary");
          if (summary) summary.textContent = data.total + " messages, " + data.unread + " unread";
        });
    });
  }

  function message() {
    const article = document.querySelector("article.message");
    const id = article.dataset.id;
    const tabs = Array.from(document.querySelectorAll("[role=tab]"));
    const show = (tab) => {
      tabs.forEach((t) => {
        const on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
      history.replaceState(null, "", "#" + tab.dataset.tab);
    };
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => show(tab));
      tab.addEventListener("keydown", (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = tabs[(i + step + tabs.length) % tabs.length];
        next.focus();
        show(next);
      });
    });
    const wanted = tabs.find((t) => "#" + t.dataset.tab === window.location.hash);
    if (wanted) show(wanted);

    if (article.dataset.read === "false") api("PUT", "/api/v1/messages", { IDs: [id], Read: true });

    const frame = document.getElementById("mail-frame");
    if (frame) {
      document.querySelectorAll("[data-width]").forEach((button) =>
        button.addEventListener("click", () => {
          frame.classList.remove("w375", "w768");
          if (button.dataset.width) frame.classList.add("w" + button.dataset.width);
          document.querySelectorAll("[data-width]").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
        })
      );
      // The frame's URL carries the view's choices: light or dark, remote content or not.
      const view = { scheme: "light", remote: false };
      const reload = () => {
        const params = new URLSearchParams({ scheme: view.scheme });
        if (view.remote) params.set("remote", "1");
        frame.src = "/view/" + id + ".html?" + params;
      };
      const dark = document.getElementById("dark-preview");
      dark.addEventListener("click", () => {
        view.scheme = view.scheme === "dark" ? "light" : "dark";
        frame.classList.toggle("dark", view.scheme === "dark");
        dark.setAttribute("aria-pressed", view.scheme === "dark" ? "true" : "false");
        reload();
      });
      const remote = document.getElementById("load-remote");
      remote.addEventListener("click", () => {
        view.remote = true;
        remote.disabled = true;
        document.getElementById("remote-hint").textContent = "Remote content is loaded for this view only.";
        reload();
      });
    }

    const toggle = document.getElementById("toggle-read");
    toggle.addEventListener("click", () => {
      const read = toggle.textContent.trim() === "Mark read";
      api("PUT", "/api/v1/messages", { IDs: [id], Read: read }).then(() => {
        toggle.textContent = read ? "Mark unread" : "Mark read";
      });
    });
    const back = () => window.location.assign(document.getElementById("back").getAttribute("href"));
    const remove = () => api("DELETE", "/api/v1/messages", { IDs: [id] }).then(back);
    document.getElementById("delete-message").addEventListener("click", remove);
    document.addEventListener("keydown", (event) => {
      if (event.target.matches("input, select, textarea")) return;
      if (event.key === "Escape" || event.key === "u") back();
      else if (event.key === "Delete" || event.key === "#") remove();
    });
  }

  function preview() {
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
