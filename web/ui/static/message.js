// One message: tabs, read state that says what the button will do, stepping through the
// listing it came from (j/k), delete, the HTML frame's width/dark/remote choices, the link check.
(function () {
  "use strict";
  if (document.body.dataset.page !== "message") return;
  const { api, notify, failed, refreshMailboxes, isShortcut } = window.mailyard;

  const article = document.querySelector("article.message");
  const id = article.dataset.id;

  // -- tabs (arrow keys move between them; the URL's #fragment remembers the open one) --------
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  const frameControls = document.getElementById("frame-controls");
  const show = (tab) => {
    if (frameControls) frameControls.hidden = tab.dataset.tab !== "html";
    tabs.forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    history.replaceState(null, "", window.location.pathname + window.location.search + "#" + tab.dataset.tab);
    tab.scrollIntoView({ block: "nearest", inline: "nearest" }); // a phone's tab strip scrolls
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

  // -- a long subject is clamped on a phone (app.css): a tap shows all of it -------------------
  const subject = document.getElementById("subject");
  subject.addEventListener("click", () => subject.classList.remove("clamped"));

  // -- read state: the button always names what it will do ----------------------------------
  const toggle = document.getElementById("toggle-read");
  const setRead = (read) => {
    article.dataset.read = read ? "true" : "false";
    toggle.textContent = read ? "Mark unread" : "Mark read";
  };
  const markRead = (read) =>
    api("PUT", "/api/v1/messages", { IDs: [id], Read: read }).then(() => {
      setRead(read);
      refreshMailboxes();
    }, failed(read ? "Could not mark it read" : "Could not mark it unread"));
  if (article.dataset.read === "false") markRead(true); // opening a message reads it
  toggle.addEventListener("click", () => markRead(article.dataset.read !== "true"));

  // -- leaving: back to the listing, to a neighbour, or after a delete ------------------------
  const back = document.getElementById("back");
  const go = (link) => link && link.href && window.location.assign(link.href);
  const remove = () =>
    api("DELETE", "/api/v1/messages", { IDs: [id] }).then(() => go(back), failed("Could not delete it"));
  document.getElementById("delete-message").addEventListener("click", remove);
  document.addEventListener("keydown", (event) => {
    if (!isShortcut(event)) return;
    if (event.key === "Escape" || event.key === "u") go(back);
    else if (event.key === "j") go(document.querySelector("a#older"));
    else if (event.key === "k") go(document.querySelector("a#newer"));
    else if (event.key === "U") markRead(article.dataset.read !== "true");
    else if (event.key === "Delete" || event.key === "#") remove();
  });

  // -- mail came or went while the page is open (delivery.js's live stream says so) -----------
  // Newer and older are asked for again; a message deleted elsewhere says so and its actions
  // stop, rather than answering as if they had worked.
  let due = null;
  const gone = () => {
    document.getElementById("gone").hidden = false;
    article.classList.add("deleted");
    ["toggle-read", "delete-message"].forEach((control) => (document.getElementById(control).disabled = true));
    document.querySelectorAll("#tags button, #tags input").forEach((control) => (control.disabled = true));
  };
  document.addEventListener("mailyard:messages", () => {
    if (due || article.classList.contains("deleted")) return;
    due = setTimeout(() => {
      due = null;
      fetch("/ui/message/" + encodeURIComponent(id) + "/pager" + window.location.search, { credentials: "same-origin" })
        .then((response) => {
          if (response.status === 404) return gone();
          if (!response.ok) throw new Error("mailyard answered " + response.status);
          return response.text().then((html) => {
            const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("pager");
            if (fresh) document.getElementById("pager").replaceWith(fresh);
          });
        })
        .catch(failed("Could not bring newer and older up to date"));
    }, 200);
  });

  // -- the tag editor keeps the focus where typing goes on -------------------------------------
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "tags") {
      const input = document.getElementById("tag-input");
      if (input) input.focus();
    }
  });

  // -- the HTML frame ---------------------------------------------------------------------
  const frame = document.getElementById("mail-frame");
  if (frame) {
    document.querySelectorAll("[data-width]").forEach((button) =>
      button.addEventListener("click", () => {
        frame.classList.remove("w375", "w768");
        if (button.dataset.width) frame.classList.add("w" + button.dataset.width);
        document.querySelectorAll("[data-width]").forEach((b) => b.setAttribute("aria-pressed", b === button ? "true" : "false"));
      })
    );
    // The frame's URL carries the view's choices: light or dark, remote content or not (and
    // whatever else the page asked for, such as counting clicks: delivery.js).
    const view = { scheme: "light", remote: false };
    const reload = () => {
      const url = new URL(frame.src, window.location.href);
      url.searchParams.set("scheme", view.scheme);
      if (view.remote) url.searchParams.set("remote", "1");
      frame.src = url.pathname + url.search;
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
      remote.textContent = "Remote content loaded";
      document.getElementById("remote-hint").textContent = "Remote content is loaded for this view only.";
      reload();
    });
  }

  // -- the link check (when the API serves it): Mailpit's {Errors, Links: [{URL, StatusCode, Status}]}
  const checker = document.getElementById("link-check");
  if (checker) {
    const button = document.getElementById("check-links");
    const out = document.getElementById("link-results");
    button.addEventListener("click", () => {
      const follow = document.getElementById("follow-links").checked;
      button.disabled = true;
      out.textContent = "Checking…";
      api("GET", checker.dataset.url + "?follow=" + follow)
        .then((r) => r.json())
        .then((result) => {
          const list = document.createElement("ul");
          list.className = "link-results";
          result.Links.forEach((link) => {
            const item = document.createElement("li");
            const bad = link.StatusCode === 0 || link.StatusCode >= 400;
            item.className = bad ? "fail" : "pass";
            const status = document.createElement("span");
            status.className = "verdict " + (bad ? "fail" : "pass");
            status.textContent = (link.StatusCode || "—") + " " + link.Status;
            const url = document.createElement("span");
            url.className = "mono url";
            url.textContent = link.URL;
            item.append(status, " ", url);
            list.append(item);
          });
          const head = document.createElement("p");
          const n = result.Links.length;
          head.textContent =
            n === 0 ? "No links to check." : result.Errors === 0 ? "All " + n + (n === 1 ? " link answers." : " links answer.") : result.Errors + " of " + n + (n === 1 ? " link fails." : " links fail.");
          out.replaceChildren(head, list);
        })
        .catch((error) => {
          out.textContent = "";
          notify("Could not check the links: " + error.message);
        })
        .finally(() => (button.disabled = false));
    });
  }
})();
