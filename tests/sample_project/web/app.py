"""The sample app: sign-up, log-in and a password reset by mail, on stdlib WSGI.

    SMTP_HOST=127.0.0.1 SMTP_PORT=1025 python -m web.app     # prints the URL it serves on

POST /signup, /login, /password-reset (form fields email, password); the reset mail links to
GET /reset?token=..., which sets a cookie and redirects to the form (/reset/form), which needs
that cookie; POST /reset (token, password) changes the password once.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sandbox.accounts import Accounts, TokenError
from sandbox.mailer import Mailer

StartResponse = Callable[[str, list[tuple[str, str]]], object]
Environ = dict[str, object]


class App:
    def __init__(self, mailer: Mailer, public_url: str = "") -> None:
        self.accounts = Accounts()
        self.mailer = mailer
        self.public_url = public_url

    def __call__(self, environ: Environ, start: StartResponse) -> Iterable[bytes]:
        method, path = str(environ["REQUEST_METHOD"]), str(environ["PATH_INFO"])
        query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
        form: dict[str, str] = {}
        if method == "POST":
            size = int(str(environ.get("CONTENT_LENGTH") or 0))
            body = environ["wsgi.input"].read(size).decode()  # type: ignore[attr-defined]
            form = {k: v[0] for k, v in parse_qs(body).items()}
        cookies = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
        route = {
            ("POST", "/signup"): self.signup,
            ("POST", "/login"): self.login,
            ("POST", "/password-reset"): self.password_reset,
            ("GET", "/reset"): self.reset_link,
            ("GET", "/reset/form"): self.reset_form,
            ("POST", "/reset"): self.reset,
        }.get((method, path))
        if route is None:
            return _answer(start, "404 Not Found", "not found")
        status, text, headers = route({**query, **form, "_cookie": _cookie(cookies)})
        return _answer(start, status, text, headers)

    def signup(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        self.accounts.sign_up(data["email"], data["password"])
        return "201 Created", "welcome", []

    def login(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        if self.accounts.log_in(data["email"], data["password"]):
            return "200 OK", "logged in", []
        return "401 Unauthorized", "wrong email or password", []

    def password_reset(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        token = self.accounts.reset_token(data["email"])
        if token is not None:
            link = f"{self.public_url}/reset?token={quote(token)}"
            self.mailer.send_later(
                data["email"],
                "Reset your password",
                f"Reset your password: {link}\nThe link works once, for an hour.",
                f'<p><a href="{html.escape(link)}">Reset your password</a></p>'
                "<p>The link works once, for an hour.</p>",
            )
        # The same answer whether or not the address has an account.
        return "200 OK", "if the address has an account, a reset link is on its way", []

    def reset_link(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        csrf = secrets.token_urlsafe(16)
        where = f"/reset/form?token={quote(data.get('token', ''))}"
        headers = [("Location", where), ("Set-Cookie", f"csrf={csrf}; Path=/reset; HttpOnly")]
        return "303 See Other", "", headers

    def reset_form(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        if not data["_cookie"]:
            return "400 Bad Request", "open the link from the mail (no session cookie)", []
        try:
            self.accounts.check(data.get("token", ""))
        except TokenError as exc:
            return "400 Bad Request", str(exc), []
        return "200 OK", "Choose a new password", []

    def reset(self, data: dict[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
        try:
            self.accounts.reset(data.get("token", ""), data["password"])
        except TokenError as exc:
            return "400 Bad Request", str(exc), []
        return "200 OK", "password changed", []


def _cookie(cookies: SimpleCookie) -> str:
    morsel = cookies.get("csrf")
    return morsel.value if morsel is not None else ""


def _answer(
    start: StartResponse, status: str, text: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = text.encode()
    start(status, [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])])
    return [body]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    mailer = Mailer(os.environ.get("SMTP_HOST", "127.0.0.1"), int(os.environ["SMTP_PORT"]))
    app = App(mailer)
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    app.public_url = f"http://127.0.0.1:{server.server_port}"
    print(f"sample app on {app.public_url}", flush=True)
    server.serve_forever()  # until the tests terminate it


if __name__ == "__main__":
    main()
