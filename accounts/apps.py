from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Clients and users"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401
