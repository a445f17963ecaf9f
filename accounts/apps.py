from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Clients and users"

    def ready(self) -> None:
        # The receivers connect on import, once the app registry (their models) is ready.
        from accounts import signals  # noqa: F401
