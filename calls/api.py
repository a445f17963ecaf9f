"""The calls API (SPEC §5): thin views over calls.selectors and calls.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from accounts.models import ApiKeyScope
from accounts.permissions import capability_or_scope
from accounts.roles import Capability
from calls import selectors, services
from calls.filters import call_filters_parse, openapi_parameters
from calls.models import TrackingNumber
from calls.selectors import DEFAULT_GROUP_BY, api_group_by
from calls.serializers import (
    CallInSerializer,
    CallOutSerializer,
    StatsQuerySerializer,
    TrackingNumberSerializer,
    TrackingNumberUpdateSerializer,
)

READ_CALLS = capability_or_scope(Capability.VIEW_CALLS, ApiKeyScope.READ)
INGEST = capability_or_scope(Capability.INGEST_CALLS, ApiKeyScope.INGEST)


class CallCursorPagination(CursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


PAGINATION_PARAMS = ("cursor", "page_size")
FILTER_PARAMETERS = openapi_parameters()


class CallCollectionAPI(ClientAPIView):
    def get_permissions(self) -> list[Any]:
        return [INGEST() if self.request.method == "POST" else READ_CALLS()]

    @extend_schema(
        operation_id="calls_list",
        parameters=FILTER_PARAMETERS,
        responses=CallOutSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = call_filters_parse(
            request.query_params, client=self.client, allowed_extra=PAGINATION_PARAMS
        )
        paginator = CallCursorPagination()
        calls = selectors.call_list(client=self.client, filters=filters)
        page = paginator.paginate_queryset(calls, request, view=self)
        return paginator.get_paginated_response(CallOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="calls_ingest",
        request=CallInSerializer,
        responses={200: CallOutSerializer, 201: CallOutSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = CallInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        call, created = services.call_ingest(client=self.client, **payload.validated_data)
        return Response(
            CallOutSerializer(call).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CallDetailAPI(ClientAPIView):
    permission_classes = [READ_CALLS]

    @extend_schema(
        operation_id="calls_retrieve",
        responses=inline_serializer(
            "CallDetail",
            {
                **CallOutSerializer().get_fields(),
                "attribution": serializers.JSONField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request, call_id: str) -> Response:
        call = selectors.call_get(client=self.client, call_id=call_id)
        return Response({**CallOutSerializer(call).data, **selectors.call_details(call)})


STATS_ROW: dict[str, serializers.Field] = {
    "calls": serializers.IntegerField(),
    "answered": serializers.IntegerField(),
    "missed": serializers.IntegerField(),
    "avg_duration_seconds": serializers.FloatField(allow_null=True),
}


class StatsAPI(ClientAPIView):
    permission_classes = [READ_CALLS]

    @extend_schema(
        operation_id="stats",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=list(api_group_by()), default=DEFAULT_GROUP_BY
            ),
        ],
        responses=inline_serializer(
            "Stats",
            {
                "results": inline_serializer(
                    "StatsRow", {"key": serializers.CharField(), **STATS_ROW}, many=True
                ),
                "totals": inline_serializer("StatsTotals", STATS_ROW),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = selectors.Period(
            first_day=query.validated_data["from"], last_day=query.validated_data["to"]
        )
        return Response(
            selectors.call_stats(
                client=self.client, period=period, group_by=query.validated_data["group_by"]
            )
        )


class TrackingNumberCollectionAPI(ClientAPIView):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [capability_or_scope(Capability.MANAGE_SETTINGS, None)()]
        return [capability_or_scope(Capability.VIEW_CALLS, ApiKeyScope.INGEST)()]

    @extend_schema(
        operation_id="tracking_numbers_list", responses=TrackingNumberSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        numbers = selectors.tracking_number_list(client=self.client)
        return Response(TrackingNumberSerializer(numbers, many=True).data)

    @extend_schema(
        operation_id="tracking_numbers_create",
        request=TrackingNumberSerializer,
        responses={201: TrackingNumberSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = TrackingNumberSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        number = services.tracking_number_create(
            client=self.client, actor=request.user, **payload.validated_data
        )
        return Response(TrackingNumberSerializer(number).data, status=status.HTTP_201_CREATED)


class TrackingNumberDetailAPI(ClientAPIView):
    """One tracking number; changing it (how its calls are put through) takes an admin session."""

    def get_permissions(self) -> list[Any]:
        if self.request.method == "PATCH":
            return [capability_or_scope(Capability.MANAGE_SETTINGS, None)()]
        return [capability_or_scope(Capability.VIEW_CALLS, ApiKeyScope.INGEST)()]

    def _number(self, number_id: str) -> TrackingNumber:
        return selectors.tracking_number_get(client=self.client, number_id=number_id)

    @extend_schema(operation_id="tracking_numbers_read", responses=TrackingNumberSerializer)
    def get(self, request: Request, number_id: str) -> Response:
        return Response(TrackingNumberSerializer(self._number(number_id)).data)

    @extend_schema(
        operation_id="tracking_numbers_update",
        request=TrackingNumberUpdateSerializer,
        responses=TrackingNumberSerializer,
    )
    def patch(self, request: Request, number_id: str) -> Response:
        number = self._number(number_id)
        payload = TrackingNumberUpdateSerializer(number, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.tracking_number_update(
            tracking_number=number, actor=request.user, **payload.validated_data
        )
        return Response(TrackingNumberSerializer(number).data)
