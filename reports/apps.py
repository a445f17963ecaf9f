from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # calls never imports reports (ARCHITECTURE.md): reports listens to its signals and
        # registers the aggregate reader behind the dashboard and the stats API.
        from calls import selectors as call_selectors
        from reports import receivers, selectors

        receivers.connect()
        call_selectors.stats_reader_register(selectors.AggregateStatsReader())
