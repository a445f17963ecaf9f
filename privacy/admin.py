from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from calls.exports import zip_stream
from calls.media.format import IntegrityError
from privacy.audit import AuditEvent
from privacy.erasure import contact_preview_across_clients
from privacy.forms import ExtensionForm, RectificationForm, RejectForm, RequestForm
from privacy.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    SubjectType,
)
from privacy.selectors import request_outcome_lines
from privacy.services import (
    RequestStateError,
    access_request_bundle,
    rectification_complete,
    request_deadline_extend,
    request_execute,
    request_filed_record,
    request_reject,
    restriction_apply,
    restriction_lift,
)


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
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Overdue")), ("no", _("On time"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # A restriction in force was answered: it waits for its lifting, not against a deadline.
        open_requests = queryset.filter(status__in=OPEN_STATUSES, restricted_at__isnull=True)
        if self.value() == "yes":
            return open_requests.filter(due_on__lt=timezone.localdate())
        if self.value() == "no":
            return queryset.exclude(pk__in=open_requests.filter(due_on__lt=timezone.localdate()))
        return queryset


def _open_chosen(queryset: QuerySet, *kinds: str) -> list[DataSubjectRequest]:
    chosen = queryset.filter(status__in=OPEN_STATUSES)
    if kinds:
        chosen = chosen.filter(kind__in=kinds)
    return list(chosen)


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    """The DPO's desk. Every kind of request has an action that ends it; a closed request is
    read-only and says what was done in words."""

    form = RequestForm
    # Fits 1366 px: what the DPO scans for (reference, status, deadline) comes first.
    list_display = [
        "reference",
        "kind",
        "status",
        "overdue",
        "due_on",
        "client",
        "subject_shown",
        "source",
    ]
    list_display_links = ["reference"]
    list_filter = ["status", "kind", OverdueFilter, "source", "scope"]
    list_select_related = ["client"]
    search_fields = ["reference"]
    actions = [
        "execute_requests",
        "download_access_bundle",
        "complete_rectification",
        "apply_restriction",
        "lift_restriction",
        "extend_deadline",
        "reject_requests",
    ]
    OPEN_READONLY = (
        "reference",
        "preview",
        "outcome",
        "due_on",
        "extended_on",
        "extension_reason",
        "restricted_at",
        "status",
    )
    CLOSED_FIELDS = (
        "reference",
        "kind",
        "subject_type",
        "scope",
        "client",
        "source",
        "verified",
        "received_on",
        "due_on",
        "extended_on",
        "extension_reason",
        "status",
        "executed_at",
        "executed_by",
        "outcome",
        "notes",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and not obj.is_open:
            return list(self.CLOSED_FIELDS)
        fields = [*RequestForm.Meta.fields, "due_on", "status"]
        if obj is not None:
            fields = ["reference", *fields, "extended_on", "extension_reason", "preview"]
            if obj.restricted_at:
                fields.append("restricted_at")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and not obj.is_open:
            return list(self.CLOSED_FIELDS)
        return list(self.OPEN_READONLY)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A done or rejected request is the record of what was done: it no longer changes.
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_open:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            request_filed_record(subject_request=obj, actor=request.user)

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: DataSubjectRequest) -> bool:
        return obj.is_overdue

    @admin.display(description=_("subject"))
    def subject_shown(self, obj: DataSubjectRequest) -> str:
        # Once closed the identifier is gone (only its keyed hash is kept).
        return obj.subject if obj.is_open else "—"

    @admin.display(description=_("What was done"))
    def outcome(self, obj: DataSubjectRequest) -> Any:
        lines = request_outcome_lines(obj)
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description=_("What it matches"))
    def preview(self, obj: DataSubjectRequest) -> str:
        if not obj.pk or not obj.subject or obj.subject_type != SubjectType.CONTACT:
            return "—"
        client = obj.client if obj.scope == RequestScope.ONE_CLIENT else None
        preview = contact_preview_across_clients(phone=obj.subject, client=client)
        if not preview.matches:
            return str(_("No account holds this number."))
        return "; ".join(
            str(
                _(
                    "%(client)s: %(calls)d calls, %(recordings)d recordings, "
                    "%(voicemails)d voice messages, %(exports)d exports"
                )
                % {
                    "client": match.client.name,
                    "calls": match.calls,
                    "recordings": match.recordings,
                    "voicemails": match.voicemails,
                    "exports": match.export_jobs,
                }
            )
            for match in preview.matches
        )

    def _one_by_one(self, request: HttpRequest, chosen: list, work: Any, done_message: str) -> None:
        done = 0
        for item in chosen:
            try:
                work(item)
            except (RequestStateError, ValidationError) as error:
                self.message_user(request, f"{item.reference}: {_messages(error)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Execute the selected erasure or objection requests…"))
    def execute_requests(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        chosen = _open_chosen(queryset, RequestKind.ERASURE, RequestKind.OBJECTION)
        if not chosen:
            self.message_user(
                request,
                _("None of the selected requests is an open erasure or objection request."),
                messages.WARNING,
            )
            return None
        if request.POST.get("confirmed") != "yes":
            previews = [
                (
                    item,
                    contact_preview_across_clients(
                        phone=item.subject,
                        client=item.client
                        if item.scope == RequestScope.ONE_CLIENT
                        or item.kind == RequestKind.OBJECTION
                        else None,
                    ),
                )
                for item in chosen
                if item.subject_type == SubjectType.CONTACT and item.subject
            ]
            return TemplateResponse(
                request,
                "admin/privacy/confirm_execute.html",
                {
                    **self.admin_site.each_context(request),
                    "requests": chosen,
                    "previews": previews,
                    "opts": self.model._meta,
                    "title": _("Execute erasure requests?"),
                },
            )
        self._one_by_one(
            request,
            chosen,
            lambda item: request_execute(subject_request=item, actor=request.user),
            _("%(n)d request(s) executed."),
        )
        return None

    @admin.action(description=_("Download the access bundle (ZIP); this completes the request"))
    def download_access_bundle(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        chosen = [
            item
            for item in _open_chosen(queryset, RequestKind.ACCESS)
            if item.subject_type == SubjectType.CONTACT and item.subject
        ]
        if len(chosen) != 1:
            self.message_user(
                request,
                _("Select exactly one open access request for a phone number."),
                messages.WARNING,
            )
            return None
        item = chosen[0]
        try:
            members = access_request_bundle(subject_request=item, actor=request.user)
        except IntegrityError:
            self.message_user(
                request,
                _("A stored recording failed its integrity check; the incident was logged."),
                messages.ERROR,
            )
            return None
        response = StreamingHttpResponse(zip_stream(iter(members)), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="access-{item.reference}.zip"'
        response["Cache-Control"] = "no-store"
        return response

    def _form_step(
        self,
        request: HttpRequest,
        chosen: list,
        form_class: type[forms.Form],
        *,
        action: str,
        title: str,
        button: str,
    ) -> tuple[forms.Form | None, HttpResponse | None]:
        """The intermediate page of an action that needs words from the DPO (a reason, a note)."""
        form = form_class(request.POST if request.POST.get("confirmed") == "yes" else None)
        if form.is_bound and form.is_valid():
            return form, None
        return None, TemplateResponse(
            request,
            "admin/privacy/confirm_with_form.html",
            {
                **self.admin_site.each_context(request),
                "requests": chosen,
                "form": form,
                "action": action,
                "button": button,
                "opts": self.model._meta,
                "title": title,
            },
        )

    @admin.action(description=_("Mark the selected rectification requests done…"))
    def complete_rectification(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        chosen = _open_chosen(queryset, RequestKind.RECTIFICATION)
        if not chosen:
            self.message_user(
                request,
                _("None of the selected requests is an open rectification."),
                messages.WARNING,
            )
            return None
        form, page = self._form_step(
            request,
            chosen,
            RectificationForm,
            action="complete_rectification",
            title=_("Record the rectification"),
            button=_("Mark done"),
        )
        if page is not None:
            return page
        self._one_by_one(
            request,
            chosen,
            lambda item: rectification_complete(
                subject_request=item, note=form.cleaned_data["note"], actor=request.user
            ),
            _("%(n)d rectification(s) marked done."),
        )
        return None

    @admin.action(description=_("Apply the restriction of the selected requests"))
    def apply_restriction(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._one_by_one(
            request,
            _open_chosen(queryset, RequestKind.RESTRICTION),
            lambda item: restriction_apply(subject_request=item, actor=request.user),
            _("%(n)d restriction(s) applied."),
        )

    @admin.action(description=_("Lift the restriction of the selected requests (ends them)"))
    def lift_restriction(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._one_by_one(
            request,
            _open_chosen(queryset, RequestKind.RESTRICTION),
            lambda item: restriction_lift(subject_request=item, actor=request.user),
            _("%(n)d restriction(s) lifted."),
        )

    @admin.action(description=_("Extend the deadline by two months…"))
    def extend_deadline(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        chosen = _open_chosen(queryset)
        form, page = self._form_step(
            request,
            chosen,
            ExtensionForm,
            action="extend_deadline",
            title=_("Extend the deadline by two months?"),
            button=_("Extend"),
        )
        if page is not None:
            return page
        self._one_by_one(
            request,
            chosen,
            lambda item: request_deadline_extend(
                subject_request=item, reason=form.cleaned_data["reason"], actor=request.user
            ),
            _("%(n)d deadline(s) extended."),
        )
        return None

    @admin.action(description=_("Reject the selected requests…"))
    def reject_requests(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        chosen = _open_chosen(queryset)
        form, page = self._form_step(
            request,
            chosen,
            RejectForm,
            action="reject_requests",
            title=_("Reject requests?"),
            button=_("Reject"),
        )
        if page is not None:
            return page
        self._one_by_one(
            request,
            chosen,
            lambda item: request_reject(
                subject_request=item, reason=form.cleaned_data["reason"], actor=request.user
            ),
            _("%(n)d request(s) rejected."),
        )
        return None


def _messages(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
