// The inbox: live search with the query in the URL, a listing that refreshes itself when mail
// arrives or changes (its counts with it), selection, keyboard, and failures said out loud.
//
// Everything the page shows about the listing comes from one response of /ui/results for the
// current query: the rows, and in data-* the summary, the "Delete all" label and the unread
// count. Nothing here computes a count or writes a sentence about the listing.
(function () {
  "use strict";
  if (document.body.dataset.page !== "inbox") return;
  const { api, notify, failed, reason, tick, showMailboxes, isShortcut, liveStream } = window.mailyard;

  const results = document.getElementById("results");
  const search = document.getElementById("q");
  const summary = document.getElementById("summary");
  const selection = document.getElementById("selection");
  const selectedCount = document.getElementById("selected-count");
  const selectAll = document.getElementById("select-all");
  const deleteAll = document.getElementById("delete-all");
  const live = document.getElementById("live");
  const mailbox = document.getElementById("mailbox");
  const box = () => (mailbox && mailbox.value) || "";
  const query = () => search.value.trim();
  const rows = () => Array.from(results.querySelectorAll("tr.row"));
  const PAGE = 50;
  const MAX_SHOWN = 500;

  const listingParams = () => {
    const params = new URLSearchParams();
    if (box()) params.set("mailbox", box());
    if (query()) params.set("q", query());
    return params;
  };

  // -- the listing --------------------------------------------------------------------------

  let loading = 0; // the newest load; an older answer arriving late is dropped
  let inFlight = null;
  let pending = false;

  // Load the listing for the current query. `keep`: a refresh of the same listing (keep every
  // row loaded so far, the selection and the focus); otherwise a new search from the top.
  function load(keep) {
    const params = listingParams();
    if (keep) params.set("limit", String(Math.min(MAX_SHOWN, Math.max(PAGE, rows().length))));
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    const mine = ++loading;
    results.setAttribute("aria-busy", "true");
    return fetch("/ui/results?" + params, {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
      signal: inFlight.signal,
    })
      .then((r) =>
        r.text().then((text) => {
          if (mine !== loading) return;
          const holder = document.createElement("template");
          holder.innerHTML = text;
          const body = holder.content.querySelector("[data-results]");
          if (!body) throw new Error(reason(r.status, r.headers.get("Content-Type"), text));
          show(body, keep);
        })
      )
      .catch((error) => {
        if (error.name === "AbortError" || mine !== loading) return;
        stale(error.name === "TypeError" ? window.mailyard.UNREACHABLE : error.message);
      })
      .finally(() => {
        if (mine !== loading) return;
        inFlight = null;
        results.removeAttribute("aria-busy");
        if (pending) {
          pending = false;
          load(true);
        }
      });
  }

  // The store changed: refresh the listing once the current load is done (no pile-up of loads
  // when mail streams in faster than the page can ask).
  function refresh() {
    if (inFlight) pending = true;
    else load(true);
  }

  // The listing on screen could not be brought up to date: say so instead of letting it pass
  // for the answer to what is in the search box.
  function stale(message) {
    results.classList.add("stale");
    summary.textContent = "Not up to date: " + message;
  }

  function show(body, keep) {
    const checked = new Set(selectedIds());
    const current = results.querySelector("tr.row.selected");
    const currentId = current && current.dataset.id;
    const focused = document.activeElement;
    const focusRow = results.contains(focused) && focused.closest("tr.row");
    const focusId = focusRow && focusRow.dataset.id;
    const focusBox = focused && focused.matches && focused.matches("input.select");
    const top = rows()[0];
    const topSeq = keep && top ? Number(top.dataset.seq) : Infinity;

    results.classList.remove("stale");
    results.replaceChildren(body);
    if (window.htmx) window.htmx.process(results);
    rows().forEach((row) => {
      if (Number(row.dataset.seq) > topSeq) row.classList.add("fresh");
      if (checked.has(row.dataset.id)) {
        row.querySelector("input.select").checked = true;
      }
      if (row.dataset.id === currentId) row.classList.add("selected");
      if (row.dataset.id === focusId) (focusBox ? row.querySelector("input.select") : row).focus({ preventScroll: true });
    });
    describe(body);
    tick(results);
    refreshSelection();
  }

  // The bar above the list says what the listing says about itself.
  function describe(body) {
    const data = body.dataset;
    if (summary.textContent !== data.summary) summary.textContent = data.summary;
    deleteAll.textContent = data.delete;
    deleteAll.dataset.confirm = data.confirm;
    deleteAll.disabled = data.count === "0";
    const invalid = data.error === "true";
    if (invalid) search.setAttribute("aria-invalid", "true");
    else search.removeAttribute("aria-invalid");
    if (data.unread !== "") {
      const unread = Number(data.unread);
      document.title = (unread > 0 ? "(" + unread + ") " : "") + "Inbox · mailyard";
    }
  }

  // The URL holds the search, so a reload or a shared link shows the same listing.
  function remember() {
    const params = listingParams();
    const url = window.location.pathname + (params.toString() ? "?" + params : "");
    history.replaceState(null, "", url);
  }

  let typing = null;
  let lastQuery = query();
  const searchNow = () => {
    clearTimeout(typing);
    if (query() === lastQuery) return;
    lastQuery = query();
    remember();
    load(false);
  };
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(searchNow, 250);
  });
  search.addEventListener("search", searchNow); // Enter, or the field's clear button
  search.form.addEventListener("submit", (event) => {
    event.preventDefault(); // the form works without script; with it, the list follows in place
    searchNow();
  });

  // -- selection ----------------------------------------------------------------------------

  const selectedIds = () =>
    Array.from(results.querySelectorAll("tr.row input.select:checked")).map((c) => c.closest("tr").dataset.id);

  function refreshSelection() {
    const all = rows();
    const count = selectedIds().length;
    all.forEach((row) => row.classList.toggle("checked", row.querySelector("input.select").checked));
    selection.hidden = count === 0;
    summary.hidden = count > 0;
    deleteAll.hidden = count > 0;
    selectedCount.textContent = count + " selected";
    selectAll.disabled = all.length === 0;
    selectAll.checked = count > 0 && count === all.length;
    selectAll.indeterminate = count > 0 && count < all.length;
  }
  results.addEventListener("change", refreshSelection);
  selectAll.addEventListener("change", () => {
    const on = selectAll.checked;
    rows().forEach((row) => (row.querySelector("input.select").checked = on));
    refreshSelection();
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    tick(results);
    refreshSelection();
  });

  // A click on a row opens it, except on its checkbox, links or buttons.
  results.addEventListener("click", (event) => {
    const row = event.target.closest("tr.row");
    if (!row || event.target.closest("input, a, button, label")) return;
    window.location.assign(row.querySelector(".subject a").href);
  });

  // -- actions ------------------------------------------------------------------------------

  const act = (promise, what) => promise.then(() => load(true), failed(what));

  function removeSelected(ids) {
    api("DELETE", "/api/v1/messages", { IDs: ids }).then(() => {
      rows().forEach((row) => ids.includes(row.dataset.id) && row.remove());
      refreshSelection();
      load(true);
    }, failed("Could not delete"));
  }
  document.getElementById("delete-selected").addEventListener("click", () => {
    const ids = selectedIds();
    if (ids.length) removeSelected(ids);
  });
  const mark = (read) => () => {
    const ids = selectedIds();
    if (ids.length) act(api("PUT", "/api/v1/messages", { IDs: ids, Read: read }), read ? "Could not mark read" : "Could not mark unread");
  };
  document.getElementById("mark-read").addEventListener("click", mark(true));
  document.getElementById("mark-unread").addEventListener("click", mark(false));
  deleteAll.addEventListener("click", () => {
    if (!window.confirm(deleteAll.dataset.confirm)) return;
    const params = new URLSearchParams(box() ? { mailbox: box() } : {});
    if (query()) {
      params.set("query", query());
      act(api("DELETE", "/api/v1/search?" + params), "Could not delete");
    } else {
      act(api("DELETE", "/api/v1/messages?" + params), "Could not delete");
    }
  });

  // -- keyboard: j/k move, Enter/o open, x select, # or Delete delete, / search, Esc leave --

  document.addEventListener("keydown", (event) => {
    if (event.target === search && event.key === "Escape") {
      search.blur();
      if (search.value) {
        search.value = "";
        searchNow();
      }
      return;
    }
    if (!isShortcut(event)) return;
    const all = rows();
    const current = results.querySelector("tr.row.selected");
    const at = all.indexOf(current);
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
    else if ((event.key === "Enter" || event.key === "o") && current && (event.target === document.body || event.target.matches("tr.row"))) {
      window.location.assign(current.querySelector(".subject a").href);
    } else if (event.key === "x" && current) {
      const pick = current.querySelector("input.select");
      pick.checked = !pick.checked;
      refreshSelection();
    } else if ((event.key === "Delete" || event.key === "#") && current) {
      removeSelected(selectedIds().length ? selectedIds() : [current.dataset.id]);
    } else if (event.key === "/") {
      event.preventDefault();
      search.focus();
      search.select();
    } else return;
  });

  // -- live: the stream says the store moved; the page re-lists its own query -----------------

  const connect = liveStream(
    live,
    () => "/ui/events" + (box() ? "?mailbox=" + encodeURIComponent(box()) : ""),
    "Live",
    {
      open: refresh,
      messages: (data) => {
        if (data.mailboxes) showMailboxes(data.mailboxes);
        refresh();
      },
      // The simulator has news of some messages: re-list if a row on screen is one (its mark).
      deliveries: (data) => {
        const shown = new Set(rows().map((row) => row.dataset.id));
        if (data.more || data.ids.some((id) => shown.has(id))) refresh();
      },
    }
  );
  if (!document.hidden) connect();
  refreshSelection();
})();
