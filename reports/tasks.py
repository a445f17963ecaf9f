"""Celery adapters: ids in, reload, call a service (STYLE.md §6)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Client
from reports import services


@shared_task(acks_late=True)
def aggregates_fold_task(client_id: str) -> int:
    # Queued by the service that marked the Client's days, after its commit.
    client = Client.objects.filter(pk=client_id).first()
    return services.aggregates_fold(client=client) if client is not None else 0


@shared_task(acks_late=True)
def aggregates_fold_all_task() -> int:
    return services.dirty_clients_fold_across_clients()
