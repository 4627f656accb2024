"""The pages a person sees when they follow a link from an auth email in a browser.

Following a link never consumes its token: mail scanners (Microsoft Safe Links and others)
fetch every link with GET and HEAD, some with a headless browser that runs scripts, before the
person clicks. So the page shows a form that the person submits (POST); there is no script and
no auto-submit for a scanner to trigger. Pages carry the token in the URL, so they are never
cached and never send a Referer.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;box-sizing:border-box;margin:.4rem 0}}
input,button{{padding:.6rem;font:inherit}} .error{{color:#a40000}}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>
"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status, headers=HEADERS)


def message(title: str, text: str, status: int = 200) -> HTMLResponse:
    css = ' class="error"' if status >= 400 else ""
    return page(title, f'<p{css} role="status">{escape(text)}</p>', status)


def _hidden_token(token: str) -> str:
    return f'<input type="hidden" name="token" value="{escape(token)}">'


def confirm_email_form(action: str, token: str) -> HTMLResponse:
    return page(
        "Confirm your email address",
        f'<form method="post" action="{escape(action)}">{_hidden_token(token)}'
        "<p>Press the button to confirm this address for your account.</p>"
        '<button type="submit">Confirm my email</button></form>',
    )


def reset_form(action: str, token: str, field: str) -> HTMLResponse:
    return page(
        "Choose a new password",
        f'<form method="post" action="{escape(action)}">{_hidden_token(token)}'
        f'<label for="pw">New password (at least 8 characters)</label>'
        f'<input id="pw" type="password" name="{escape(field)}" minlength="8" required '
        'autocomplete="new-password"><button type="submit">Set the new password</button></form>',
    )


def accept_form(action: str, token: str, email: str, client: str | None) -> HTMLResponse:
    where = f" to {escape(client)}" if client else ""
    return page(
        "Accept your invitation",
        f"<p>You were invited{where} as <strong>{escape(email)}</strong>.</p>"
        f'<form method="post" action="{escape(action)}">{_hidden_token(token)}'
        '<label for="nm">Your name</label><input id="nm" name="name" autocomplete="name">'
        '<label for="pw">Password (at least 8 characters)</label>'
        '<input id="pw" type="password" name="password" minlength="8" required '
        'autocomplete="new-password"><button type="submit">Create my account</button></form>',
    )
