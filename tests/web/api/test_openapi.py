"""The OpenAPI document: built from the descriptions beside the handlers, valid, complete."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate
from starlette.routing import Route

from mailyard.web.routes import API, AUTH, SIMULATOR, UI


def test_the_document_is_valid_openapi(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises, naming the first problem


def test_every_api_route_and_method_is_described(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    served = {
        (r.path, m.lower())
        for r in [*API, *SIMULATOR, *AUTH]
        if isinstance(r, Route)
        for m in (r.methods or ())
        if m != "HEAD"
    }
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert served == documented


def test_a_wrong_method_is_told_every_method_the_path_answers(api: httpx.Client) -> None:
    response = api.post("/api/v1/messages")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE"}


def test_pages_are_left_out(api: httpx.Client) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert not [r.path for r in UI if isinstance(r, Route) and r.path in paths]
