"""Exports (SPEC §6): calls as CSV or Excel with the list's filters, a Contact's access bundle."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from accounts.models import ApiKeyScope, User
from accounts.permissions import capability_or_scope
from accounts.phones import normalize_e164
from accounts.roles import Capability
from calls import selectors, services
from calls.exports import csv_stream, export_rows, write_xlsx, zip_stream
from calls.filters import (
    CallFilters,
    ExportRequest,
    export_openapi_parameters,
    export_request_parse,
)
from calls.media.objects import stored_object_open
from calls.media_api import AnyAccept
from calls.models import ExportJob, ExportJobStatus
from privacy.audit import AuditAction, identifier_hash

EXPORT = capability_or_scope(Capability.EXPORT_CALLS, ApiKeyScope.READ)
CONTACT_EXPORT = capability_or_scope(Capability.MANAGE_CONTACT_PRIVACY, None)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


CSV_PARAMETERS = export_openapi_parameters(csv=True)
XLSX_PARAMETERS = export_openapi_parameters()


def _export_request(request: Request, *, client: Any, csv: bool = False) -> ExportRequest:
    try:
        return export_request_parse(request.query_params, client=client, csv=csv)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from None


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M%S")


class CallsCsvExportAPI(ClientAPIView):
    permission_classes = [EXPORT]
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="calls_export_csv",
        parameters=CSV_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        asked = _export_request(request, client=self.client, csv=True)
        filters = asked.filters
        calls = selectors.call_list(client=self.client, filters=filters, sort=asked.sort)
        # Recorded when the download starts (SPEC §8), so a client that drops the connection
        # early is still on record. The row count is the rows matching at that moment: the
        # stream reads every one of them anyway, so one COUNT over the same index is cheap.
        services.export_record(
            client=self.client,
            actor=request.user,
            action=AuditAction.CALLS_EXPORTED,
            metadata={"format": "csv", "filters": filters.for_audit(), "rows": calls.count()},
        )
        response = StreamingHttpResponse(
            csv_stream(
                calls, client=self.client, extra=filters.export_columns(), dialect=asked.dialect
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="calls-{_stamp()}.csv"'
        response["Cache-Control"] = "no-store"
        return response


EXPORT_JOB = inline_serializer(
    "ExportJob",
    {
        "id": serializers.UUIDField(),
        "status": serializers.CharField(),
        "progress_rows": serializers.IntegerField(),
        "total_rows": serializers.IntegerField(),
        "percent": serializers.IntegerField(),
        "download_url": serializers.CharField(allow_null=True),
        "expires_at": serializers.DateTimeField(allow_null=True),
    },
)


def export_job_data(job: ExportJob) -> dict[str, Any]:
    ready = job.status == ExportJobStatus.DONE
    return {
        "id": str(job.pk),
        "status": job.status,
        "progress_rows": job.progress_rows,
        "total_rows": job.total_rows,
        "percent": job.percent,
        "download_url": reverse("api-export-job-download", args=[job.pk]) if ready else None,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
    }


TOO_MANY_FOR_DIRECT = _(
    "%(total)s calls match: too many for a direct download. POST the same filters to this address "
    "to have the file prepared in the background."
)
EXPORT_CAP_REACHED = _(
    "Your account already has %(count)s Excel exports in preparation; wait until one is ready, "
    "then try again."
)


class FormPostAnyAccept(AnyAccept):
    """A browser form's POST body (its CSRF token) is parsed by its own type, not as JSON."""

    def select_parser(self, request: Request, parsers: Iterable[Any]) -> Any:
        return DefaultContentNegotiation().select_parser(request, parsers)


class CallsXlsxExportAPI(ClientAPIView):
    """GET downloads a small export at once; POST (same filters, in the query string) also
    prepares a large one in the background. Only a POST makes a job: a link or an image tag
    cannot start work on the server, and a session's POST needs its CSRF token."""

    permission_classes = [EXPORT]
    content_negotiation_class = FormPostAnyAccept

    @extend_schema(
        operation_id="calls_export_xlsx",
        parameters=XLSX_PARAMETERS,
        responses={
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            409: OpenApiResponse(
                description="More rows than XLSX_SYNC_MAX_ROWS: POST to prepare it instead."
            ),
        },
    )
    def get(self, request: Request) -> FileResponse | Response:
        asked = _export_request(request, client=self.client)
        filters = asked.filters
        calls = selectors.call_list(client=self.client, filters=filters, sort=asked.sort)
        total = calls.count()
        if total > settings.XLSX_SYNC_MAX_ROWS:
            return Response({"detail": TOO_MANY_FOR_DIRECT % {"total": total}}, status=409)
        return self._download(request, filters, calls)

    @extend_schema(
        operation_id="calls_export_xlsx_prepare",
        parameters=XLSX_PARAMETERS,
        request=None,
        responses={
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            202: EXPORT_JOB,
            429: OpenApiResponse(
                description="EXPORT_JOBS_MAX_OPEN_PER_CLIENT exports already in preparation."
            ),
        },
        description=(
            "Up to XLSX_SYNC_MAX_ROWS rows the file is the answer (200). Above, a background job "
            "(202, `Location` its status): asking again with the same filters while it is queued "
            "or running answers the same job; past EXPORT_JOBS_MAX_OPEN_PER_CLIENT open jobs for "
            "the Client, 429. A browser session is redirected to the job's progress page (303)."
        ),
    )
    def post(self, request: Request) -> FileResponse | Response | HttpResponse:
        asked = _export_request(request, client=self.client)
        filters = asked.filters
        calls = selectors.call_list(client=self.client, filters=filters, sort=asked.sort)
        total = calls.count()
        if total <= settings.XLSX_SYNC_MAX_ROWS:
            return self._download(request, filters, calls)
        is_person = isinstance(request.user, User)
        try:
            job, _created = services.export_job_request(
                client=self.client,
                requested_by=request.user if is_person else None,
                filters=filters,
                total_rows=total,
                sort=asked.sort,
            )
        except services.ExportJobLimitReached as refused:
            message = EXPORT_CAP_REACHED % {"count": len(refused.open_jobs)}
            if is_person:
                return render(
                    request._request,
                    "calls/export_refused.html",
                    {"message": message, "open_jobs": refused.open_jobs},
                    status=429,
                )
            return Response({"detail": message}, status=429)
        if is_person:
            return HttpResponseRedirect(reverse("export-job", args=[job.pk]), status=303)
        response = Response(export_job_data(job), status=202)
        response["Location"] = reverse("api-export-job", args=[job.pk])
        return response

    def _download(self, request: Request, filters: CallFilters, calls: Any) -> FileResponse:
        # Written to an anonymous temporary file (gone when closed), then streamed from disk.
        handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
        handle.close()
        try:
            extra = filters.export_columns()
            rows = write_xlsx(
                export_rows(calls, client=self.client, extra=extra), handle.name, extra=extra
            )
            stream = open(handle.name, "rb")  # noqa: SIM115 (closed by FileResponse)
        finally:
            os.unlink(handle.name)
        services.export_record(
            client=self.client,
            actor=request.user,
            action=AuditAction.CALLS_EXPORTED,
            metadata={"format": "xlsx", "filters": filters.for_audit(), "rows": rows},
        )
        response = FileResponse(
            stream, content_type=XLSX_TYPE, as_attachment=True, filename=f"calls-{_stamp()}.xlsx"
        )
        response["Cache-Control"] = "no-store"
        return response


class ExportJobAPI(ClientAPIView):
    permission_classes = [EXPORT]

    @extend_schema(operation_id="export_job", responses=EXPORT_JOB)
    def get(self, request: Request, job_id: str) -> Response:
        job = selectors.export_job_get(client=self.client, job_id=job_id)
        return Response(export_job_data(job))


class ExportJobDownloadAPI(ClientAPIView):
    permission_classes = [EXPORT]
    content_negotiation_class = AnyAccept
    integrity_refused_message = _("The export file failed its integrity check; export again.")

    @extend_schema(
        operation_id="export_job_download", responses={(200, XLSX_TYPE): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, job_id: str) -> StreamingHttpResponse | Response:
        job = selectors.export_job_get(client=self.client, job_id=job_id, done=True)
        opened = stored_object_open(job)
        # Recorded when the download starts (SPEC §8), once per download.
        services.export_job_download_record(job=job, actor=request.user)
        response = StreamingHttpResponse(
            opened.iter_range(0, opened.size - 1), content_type=XLSX_TYPE
        )
        response["Content-Length"] = str(opened.size)
        response["Content-Disposition"] = (
            f'attachment; filename="calls-{job.created_at:%Y%m%d-%H%M%S}.xlsx"'
        )
        response["Cache-Control"] = "no-store"
        return response


class ContactExportAPI(ClientAPIView):
    """A Contact's data in this Client's account, as one ZIP (right of access)."""

    permission_classes = [CONTACT_EXPORT]
    content_negotiation_class = AnyAccept
    integrity_refused_message = _(
        "A stored recording failed its integrity check; the incident was logged."
    )

    @extend_schema(
        operation_id="contact_export",
        parameters=[
            OpenApiParameter("phone", OpenApiTypes.STR, required=True, description="E.164")
        ],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> StreamingHttpResponse | Response:
        raw = request.query_params.get("phone", "")
        if not raw.strip():
            raise ValidationError(
                {"phone": [_("This parameter is required (E.164, e.g. +33612345678).")]}
            )
        try:
            phone = normalize_e164(raw)
        except DjangoValidationError as error:
            raise ValidationError({"phone": error.messages}) from None
        contact = selectors.contact_find(client=self.client, phone_number=phone)
        if contact is None:
            raise NotFound(_("No Contact with this number in your account."))
        bundle = selectors.contact_bundle(client=self.client, contact=contact)
        # Recorded when the download starts (SPEC §8): the bundle's contents are known already.
        services.export_record(
            client=self.client,
            actor=request.user,
            action=AuditAction.CONTACT_EXPORTED,
            metadata={
                "phone": identifier_hash(phone),
                "rows": bundle.calls,
                "recordings": bundle.recordings,
                "voicemails": bundle.voicemails,
            },
        )

        response = StreamingHttpResponse(
            zip_stream(bundle.members()), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="contact-{_stamp()}.zip"'
        response["Cache-Control"] = "no-store"
        return response
