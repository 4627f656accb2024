"""The inbox's error page: a page error in the inbox's own look.

It is rendered from its template alone, without the services: an error page may be all that is
left when the store is down. `web.errors.PageSurface` uses it for every page error.
"""

from __future__ import annotations

from mailyard.web.ui.templating import templates

HEADINGS = {
    400: "That request could not be served",
    401: "This mailyard asks who you are",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    413: "Too large",
    429: "Too many requests",
    503: "mailyard is not ready",
}


def error_page(status: int, message: str) -> str:
    """A whole HTML page saying what went wrong (`message` is escaped here)."""
    heading = HEADINGS.get(status, "Something went wrong" if status >= 500 else "Not served")
    return (
        templates()
        .get_template("error.html")
        .render(status=status, heading=heading, message=message, mailbox=None)
    )
