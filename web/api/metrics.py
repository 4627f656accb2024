"""Prometheus metrics at `/metrics`: what the running service counts, read when scraped.

Mailpit's metric names (`internal/prometheus/metrics.go`) where Mailpit has the same count, so
an existing dashboard keeps working; `mailyard_*` for the rest:

- `mailpit_messages`, `mailpit_messages_unread`, `mailpit_tag_messages{tag}`,
  `mailpit_database_size_bytes`, `mailpit_uptime_seconds`, `mailpit_memory_usage_bytes`;
- `mailpit_smtp_accepted_total`, `mailpit_smtp_accepted_size_bytes_total`,
  `mailpit_smtp_rejected_total` (from the SMTP sink's own counters);
- `mailyard_smtp_sessions` (open now), `mailyard_store_commits_total`,
  `mailyard_store_errors_total` (writes the store refused: failed writes and commits, a
  full disk's included),
  `mailyard_search_seconds` (a histogram of the searches of `/api/v1/search`).

Cheap: a scrape reads counters the services keep and two small aggregate queries (totals from
`mailbox_stats`, tag counts); nothing is computed on a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from mailyard.web.api.app_local import app_local
from mailyard.web.api.describe import operation
from mailyard.web.services import services

if TYPE_CHECKING:
    from mailyard.web.api.metrics_registry import Metrics


def metrics_of(request: Request) -> Metrics:
    from mailyard.web.api.metrics_registry import Metrics

    return app_local(request, "metrics", Metrics)


def search_observer(request: Request) -> Callable[[float], None]:
    """Where a search's duration is recorded."""
    return metrics_of(request).search.observe


@operation(
    "Prometheus metrics (Mailpit's names where Mailpit has the count)",
    responses={
        "200": {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request) -> Response:
    registry = metrics_of(request)
    return Response(registry.render(services(request)), media_type=registry.content_type)
