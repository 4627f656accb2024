"""After the start, what first requests would load on the event loop is loaded on a thread:
every handler module, the HTML-to-text and image libraries, the inbox's compiled templates."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from mailyard.web.warmup import warm_up

FRESH = """
import json
import sys
import mailyard.web.routes  # names the handler modules, as the app's route table does
from mailyard.web import lazy
from mailyard.web.warmup import LIBRARIES, warm_up

waiting = [m for m in (*lazy.modules(), *LIBRARIES) if m not in sys.modules]
assert waiting, "nothing was left to load: the test would prove nothing"
warm_up().join(120)
from mailyard.web.ui.templating import templates

env = templates()
missing = [m for m in (*lazy.modules(), *LIBRARIES) if m not in sys.modules]
print(json.dumps({
    "waiting": len(waiting),
    "missing": missing,
    "compiled": len(env.cache or {}),
    "templates": len(env.list_templates(extensions=["html"])),
}))
"""


def test_warm_up_loads_every_handler_module_library_and_template_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=180, check=True
    )
    found = json.loads(done.stdout)
    assert found["waiting"] > 10
    assert found["missing"] == []
    assert found["compiled"] == found["templates"] > 0


def test_a_module_that_cannot_load_does_not_stop_the_others() -> None:
    sys.modules.pop("colorsys", None)
    ran = threading.Event()
    warm_up(["mailyard.no_such_module", "colorsys"], then=ran.set).join(30)
    assert ran.is_set() and "colorsys" in sys.modules


def test_a_failing_last_step_is_contained_on_its_thread() -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    thread = warm_up([], then=fail)
    thread.join(30)
    assert not thread.is_alive()
