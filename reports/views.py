from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation

from accounts.http import ClientRequest
from accounts.roles import Capability
from accounts.tenancy import capability_required
from reports.forms import DIMENSION_CHOICES, ReportForm
from reports.periods import period_label, report_chart
from reports.pivots import Report, key_label, report_build, report_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(request: ClientRequest) -> tuple[ReportForm, Report | None]:
    form = ReportForm(request.GET)
    if not form.is_valid():
        return form, None
    by, per, periods = form.choice()
    return form, report_build(client=request.client, by=by, per=per, periods=periods)


@capability_required(Capability.VIEW_CALLS)
def report_page(request: ClientRequest) -> HttpResponse:
    form, report = _report(request)
    rows, chart = [], None
    if report is not None:
        rows = [
            {
                **row,
                "label": key_label(report.by, row["key"], region=request.client.country),
                "period": period_label(row["period"], report.per, today=report.last_day),
            }
            for row in report.rows
        ]
        chart = report_chart(
            report.chart,
            per=report.per,
            language=translation.get_language() or "en",
            today=report.last_day,
        )
    return render(
        request,
        "reports/report.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "chart": chart,
            "dimension": dict(DIMENSION_CHOICES).get(report.by) if report else None,
            "query": request.GET.urlencode(),
        },
        status=200 if report is not None else 400,
    )


@capability_required(Capability.VIEW_CALLS)
def report_download(request: ClientRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return render(request, "reports/report.html", {"form": form}, status=400)
    content = report_xlsx(
        report,
        dimension_label=str(dict(DIMENSION_CHOICES)[report.by]),
        region=request.client.country,
    )
    response = HttpResponse(content, content_type=XLSX)
    name = f"report-{report.by}-{report.per}-{report.last_day.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
