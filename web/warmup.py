"""What `mailyard serve` leaves out of its start, loaded on a thread once it is ready.

The start imports only what serving needs (issue 10: ready in a fraction of a second); the
handlers of each route, the inbox's templates, the HTML-to-text converter and the image and
metrics libraries load on first use. Loaded by a request, they would load on the event loop:
the first HTML-only message read took 150 ms there (inscriptis and lxml), the first inbox page
230 ms (Jinja and its templates), each a stall of SMTP and every other request (issue 9: no
request may hold the loop 50 ms). So right after the ready line a daemon thread loads them: the
loop keeps running between its steps (the interpreter switches threads every few
milliseconds), and a first request that comes sooner waits on the import lock for what is
already half loaded. A handler module left out (`web.lazy.handlers(..., warm=False)`) is
imported on a thread by its first request.

    warm_up()   # once the service is ready; returns the thread (tests join it)
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable

from mailyard.web import lazy

log = logging.getLogger("mailyard.web")

# Libraries and modules of ours that first requests load, beside the handler modules. Left
# out, for memory (their first request loads them, on a thread where it can): the HTML checks'
# client data (~8 MB), Pillow (thumbnails) and the Prometheus client (a scraper's first visit).
LIBRARIES = (
    "mailyard.web.api.htmltext",
    "inscriptis.html_engine",
    "lxml.html",
    "mailyard.sandbox.mail.linkcheck",
    "mailyard.web.ui.templating",
    "mailyard.renderer",
    "mailyard.renderer.render",
    "css_inline",
    "mailyard.sandbox.store.search_index",  # the first listing, search or long poll
    "mailyard.sandbox.store.search_plan",
    "mailyard.sandbox.auth.service",  # the reference auth service's first request
)


def warm_up(
    modules: Iterable[str] | None = None,
    then: Callable[[], None] | None = None,
) -> threading.Thread:
    """Start loading `modules` (default: every handler module and `LIBRARIES`) on a daemon
    thread, then run `then` there (default: compile the inbox's templates)."""
    names = tuple(modules) if modules is not None else (*lazy.modules(), *LIBRARIES)
    thread = threading.Thread(
        target=_load, args=(names, then or _compile_templates), name="warm-up", daemon=True
    )
    thread.start()
    return thread


def _load(names: tuple[str, ...], then: Callable[[], None]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # an optional library missing: its first request reports it
            log.debug("warm-up could not load %s", name, exc_info=True)
    try:
        then()
    except Exception:
        log.debug("warm-up could not finish", exc_info=True)


def _compile_templates() -> None:
    from mailyard.web.ui.templating import templates

    env = templates()
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
