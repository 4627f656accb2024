"""Handlers imported on first use (web.lazy): every route of the table resolves to the function
it names, describes itself as that function does, and answers as it does."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import pytest
from starlette.routing import Route, WebSocketRoute

from mailyard.web.api import describe
from mailyard.web.api.describe import ATTRIBUTE, ERRORS, HANDLERS
from mailyard.web.lazy import LazyHandler, as_function, handlers
from mailyard.web.routes import AUTH, ROUTES, UI_FOLDER, WEBHOOK_CHECK_DECOY
from mailyard.web.settings import load_settings
from mailyard.web.testing.inprocess import InProcessServer


def _lazy_handlers() -> list[LazyHandler]:
    found = []
    for route in [*ROUTES, *AUTH]:
        endpoint = getattr(route, "endpoint", None)  # not the static files' Mount
        found += getattr(endpoint, HANDLERS, {}).values()
    return found


def test_every_resource_handler_is_lazy_and_resolves_to_the_function_it_names() -> None:
    found = _lazy_handlers()
    assert len(found) > 100
    for handler in found:
        assert isinstance(handler, LazyHandler)
        module = importlib.import_module(handler.__module__)
        assert handler.resolve() is getattr(module, handler.__name__)


def test_every_page_and_socket_route_gets_a_function_of_the_handlers_name() -> None:
    plain = [r for r in ROUTES if isinstance(r, Route | WebSocketRoute)]
    plain = [r for r in plain if not hasattr(r.endpoint, HANDLERS)]
    assert len(plain) > 20
    for route in plain:
        name = route.endpoint.__name__
        module = route.endpoint.__module__
        assert module == "mailyard.web.lazy"  # the wrapper, not the page itself
        assert route.name == name  # the route's name is still the handler's
    names = {r.endpoint.__name__ for r in plain}
    assert {"inbox", "message", "events", "webhooks"} <= names


def test_a_description_and_error_style_are_read_through_the_lazy_handler() -> None:
    lazy = handlers("mailyard.web.api.messages").wait
    from mailyard.web.api import messages

    assert getattr(lazy, ATTRIBUTE) is getattr(messages.wait, ATTRIBUTE)
    assert getattr(lazy, ERRORS) == getattr(messages.wait, ERRORS)
    assert describe.described(lazy) == describe.described(messages.wait)


def test_other_attributes_are_not_forwarded() -> None:
    lazy = handlers("mailyard.web.api.messages").wait
    with pytest.raises(AttributeError):
        _ = lazy.no_such_attribute
    with pytest.raises(AttributeError):
        _ = handlers("mailyard.web.api.messages")._private


def test_a_name_the_module_lacks_fails_on_first_use_with_its_name() -> None:
    lazy = handlers("mailyard.web.api.messages").no_such_handler
    with pytest.raises(AttributeError, match="no_such_handler"):
        lazy.resolve()
    with pytest.raises(TypeError, match="not a handler"):
        handlers("mailyard.web.api.messages").MAX_WAIT.resolve()


def test_constants_written_out_in_the_table_match_their_modules() -> None:
    from mailyard.web.api import webhook_check
    from mailyard.web.ui import templating

    assert WEBHOOK_CHECK_DECOY == webhook_check.DECOY_PATH
    assert UI_FOLDER == templating.HERE
    assert (Path(UI_FOLDER) / "static").is_dir()


def test_as_function_calls_the_handler(tmp_path: Path) -> None:
    endpoint = as_function(handlers("mailyard.web.api.info").livez)
    assert endpoint.__name__ == "livez"
    settings = load_settings({"db": str(tmp_path / "m.db"), "smtp_port": 0}, {})
    server = InProcessServer.start(settings)
    try:
        with server.api() as api:
            # a lazy API route, a lazy page, and a 405 whose error style is read lazily
            assert api.get("/api/v1/messages").status_code == 200
            assert api.get("/status").status_code == 200
            assert api.post("/api/v1/info").status_code == 405
    finally:
        server.stop()


async def test_a_handler_module_not_loaded_yet_is_imported_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_probe_handlers.py").write_text(
        "import threading\n"
        "LOADED_ON = threading.current_thread().name\n"
        "async def answer(request):\n"
        "    return LOADED_ON\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    handler = LazyHandler("lazy_probe_handlers", "answer")
    loaded_on = await handler(None)  # type: ignore[arg-type]
    assert loaded_on != threading.current_thread().name  # not the loop's thread
    assert await handler(None) == loaded_on  # type: ignore[arg-type]  # loaded once


def test_a_module_asked_not_to_be_warmed_is_left_to_its_first_request() -> None:
    from mailyard.web import lazy

    assert "mailyard.web.api.checks" not in lazy.modules()
    assert "mailyard.web.api.message" in lazy.modules()
    handlers("mailyard.web.api.checks")  # named again without the flag: still not warmed
    assert "mailyard.web.api.checks" not in lazy.modules()
