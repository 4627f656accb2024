"""The Prometheus side of `/metrics` (web.api.metrics): the registry, the collector that reads
the running services at scrape time, and the search histogram. A module of its own so that
prometheus_client (~50 ms of imports) loads with the first scrape or search, not at start-up."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mailyard.web.api.info import rss_bytes
from mailyard.web.services import Services

SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _ServiceCollector(Collector):
    """The gauges and counters read from the running services at scrape time."""

    def __init__(self) -> None:
        self.services: Services | None = None

    def collect(self) -> Iterator[Metric]:
        svc = self.services
        if svc is None:
            return
        total, unread = svc.store.messages.totals()
        yield GaugeMetricFamily("mailpit_messages", "Messages stored", value=total)
        yield GaugeMetricFamily("mailpit_messages_unread", "Unread messages", value=unread)
        tags = GaugeMetricFamily("mailpit_tag_messages", "Messages per tag", labels=["tag"])
        for tag, count in sorted(svc.store.tags.counts().items()):
            tags.add_metric([tag], count)
        yield tags
        yield GaugeMetricFamily(
            "mailpit_database_size_bytes", "Database file and WAL", value=svc.store.file_size()
        )
        yield GaugeMetricFamily(
            "mailpit_uptime_seconds", "Seconds since start", value=svc.clock.now() - svc.started
        )
        yield GaugeMetricFamily("mailpit_memory_usage_bytes", "Resident memory", value=rss_bytes())
        smtp = svc.smtp
        for name, help_text, value in (
            ("mailpit_smtp_accepted", "Messages accepted over SMTP", smtp.accepted),
            ("mailpit_smtp_accepted_size_bytes", "Bytes accepted over SMTP", smtp.accepted_bytes),
            ("mailpit_smtp_rejected", "Messages refused over SMTP", smtp.rejected),
            ("mailyard_store_commits", "Store transactions committed", svc.store.writer.commits),
            ("mailyard_store_errors", "Store write errors", svc.store.writer.errors),
        ):
            yield CounterMetricFamily(name, help_text, value=value)
        yield GaugeMetricFamily("mailyard_smtp_sessions", "Open SMTP sessions", smtp.open_sessions)


class Metrics:
    """One app's registry: the services' counters and the search timings."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._services = _ServiceCollector()
        self.registry.register(self._services)
        self.search = Histogram(
            "mailyard_search_seconds",
            "Time to answer a search (the first page and its counts)",
            buckets=SEARCH_BUCKETS,
            registry=self.registry,
        )

    def render(self, svc: Services) -> bytes:
        self._services.services = svc
        return bytes(generate_latest(self.registry))
