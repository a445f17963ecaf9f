"""Celery adapters of the privacy app (STYLE.md §6)."""

from __future__ import annotations

from celery import shared_task

from privacy import services


@shared_task(acks_late=True)
def request_deadlines_remind_task() -> dict[str, int]:
    """Daily (beat, editable in the admin): the DPO's email of requests due soon or overdue.
    Run twice, it sends the same summary twice, which is harmless."""
    return services.request_deadlines_remind()
