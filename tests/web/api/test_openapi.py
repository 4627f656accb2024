"""The OpenAPI document describes every route the app serves."""

from __future__ import annotations

import httpx
from conftest import Server
from starlette.routing import Route

from mailyard.web.app import create_app
from mailyard.web.settings import Settings


def test_every_route_and_method_is_documented(server: Server, api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    app = create_app(Settings())
    from mailyard.web.ui.pages import (
        PAGE_PATHS,  # the inbox's pages: documented in the README instead
    )

    served = {
        (r.path, m.lower())
        for r in app.routes
        if isinstance(r, Route) and r.path not in PAGE_PATHS
        for m in (r.methods or ())
        if m != "HEAD"
    }
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "the OpenAPI document describes routes that do not exist"


def test_every_reference_resolves(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    text = str(document)
    import re

    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in document["components"]["schemas"], name
