from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from calls.exports import zip_stream
from calls.media.format import IntegrityError
from privacy.audit import AuditAction, AuditEvent, audit_record, identifier_hash
from privacy.erasure import access_bundle_members_across_clients, contact_preview_across_clients
from privacy.forms import RejectForm, RequestForm
from privacy.models import DataSubjectRequest, RequestKind, RequestScope, RequestStatus, SubjectType
from privacy.services import request_execute, request_reject


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, the DPO included: the log is append-only."""

    list_display = ["occurred_at", "action", "client_id", "actor_kind", "object_type", "object_id"]
    list_filter = ["action", "actor_kind"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "On time")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        open_requests = queryset.filter(
            status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS]
        )
        if self.value() == "yes":
            return open_requests.filter(due_on__lt=timezone.localdate())
        if self.value() == "no":
            return queryset.exclude(pk__in=open_requests.filter(due_on__lt=timezone.localdate()))
        return queryset


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    form = RequestForm
    list_display = [
        "received_on",
        "due_on",
        "kind",
        "subject_type",
        "scope",
        "client",
        "source",
        "verified",
        "status",
        "overdue",
    ]
    list_filter = ["status", "kind", OverdueFilter, "source", "scope"]
    list_select_related = ["client"]
    readonly_fields = [
        "preview",
        "result",
        "subject_hash",
        "executed_at",
        "executed_by",
        "rejection_reason",
        "status",
    ]
    actions = ["execute_requests", "reject_requests", "download_access_bundle"]

    @admin.action(description="Download the access bundle (ZIP) of the selected access request")
    def download_access_bundle(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        chosen = [
            item
            for item in queryset
            if item.kind == RequestKind.ACCESS
            and item.subject_type == SubjectType.CONTACT
            and item.subject
        ]
        if len(chosen) != 1:
            self.message_user(
                request,
                "Select exactly one open access request for a phone number.",
                messages.WARNING,
            )
            return None
        item = chosen[0]
        scope_client = item.client if item.scope == RequestScope.ONE_CLIENT else None
        try:
            members = list(
                access_bundle_members_across_clients(phone=item.subject, client=scope_client)
            )
        except IntegrityError:
            self.message_user(
                request,
                "A stored recording failed its integrity check; the incident was logged.",
                messages.ERROR,
            )
            return None
        audit_record(
            action=AuditAction.CONTACT_EXPORTED,
            actor=request.user,
            object_type="request",
            object_id=item.pk,
            metadata={"subject": identifier_hash(item.subject), "files": len(members)},
        )
        response = StreamingHttpResponse(zip_stream(iter(members)), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="access-request-{item.pk}.zip"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.display(boolean=True)
    def overdue(self, obj: DataSubjectRequest) -> bool:
        return obj.is_overdue

    @admin.display(description="What it matches")
    def preview(self, obj: DataSubjectRequest) -> str:
        if not obj.pk or not obj.subject or obj.subject_type != SubjectType.CONTACT:
            return "—"
        client = obj.client if obj.scope == RequestScope.ONE_CLIENT else None
        preview = contact_preview_across_clients(phone=obj.subject, client=client)
        if not preview.matches:
            return "No account holds this number."
        lines = [
            f"{match.client.name}: {match.calls} calls, {match.recordings} recordings, {match.voicemails} voice messages"
            for match in preview.matches
        ]
        return "; ".join(lines)

    @admin.action(description="Execute the selected erasure requests…")
    def execute_requests(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        chosen = list(
            queryset.filter(
                kind=RequestKind.ERASURE,
                status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS],
            )
        )
        if not chosen:
            self.message_user(
                request,
                "None of the selected requests is an open erasure request.",
                messages.WARNING,
            )
            return None
        if request.POST.get("confirmed") != "yes":
            previews = [
                (
                    item,
                    contact_preview_across_clients(
                        phone=item.subject,
                        client=item.client if item.scope == RequestScope.ONE_CLIENT else None,
                    ),
                )
                for item in chosen
                if item.subject_type == SubjectType.CONTACT
            ]
            return TemplateResponse(
                request,
                "admin/privacy/confirm_execute.html",
                {
                    **self.admin_site.each_context(request),
                    "requests": chosen,
                    "previews": previews,
                    "opts": self.model._meta,
                    "title": "Execute erasure requests?",
                },
            )
        for item in chosen:
            request_execute(subject_request=item, actor=request.user)
        self.message_user(request, f"{len(chosen)} erasure request(s) executed.", messages.SUCCESS)
        return None

    @admin.action(description="Reject the selected requests…")
    def reject_requests(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        chosen = list(
            queryset.filter(status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS])
        )
        form = RejectForm(request.POST if request.POST.get("confirmed") == "yes" else None)
        if form.is_bound and form.is_valid():
            for item in chosen:
                request_reject(
                    subject_request=item, reason=form.cleaned_data["reason"], actor=request.user
                )
            self.message_user(request, f"{len(chosen)} request(s) rejected.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/privacy/confirm_reject.html",
            {
                **self.admin_site.each_context(request),
                "requests": chosen,
                "form": form,
                "opts": self.model._meta,
                "title": "Reject requests?",
            },
        )
