from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # The receivers connect on import, once the app registry (their models) is ready.
        from privacy import signals  # noqa: F401
