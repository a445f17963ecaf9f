"""GET|PUT /api/v1/website/ (admin session): the website settings of SPEC §13."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from accounts.permissions import capability_or_scope
from accounts.roles import Capability
from attribution import selectors, services
from attribution.models import Website
from calls.serializers import E164Field

MANAGE = capability_or_scope(Capability.MANAGE_SETTINGS, None)


class WebsiteSerializer(serializers.Serializer):
    public_id = serializers.CharField(read_only=True)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(max_length=255), max_length=services.MAX_ORIGINS
    )
    default_number = E164Field(allow_null=True, required=False, default=None)


def _data(website: Website) -> dict[str, object]:
    return {
        "public_id": website.public_id,
        "allowed_origins": selectors.allowed_origins(client=website.client),
        "default_number": website.default_number.number if website.default_number else None,
    }


class WebsiteAPI(ClientAPIView):
    permission_classes = [MANAGE]

    @extend_schema(operation_id="website_retrieve", responses=WebsiteSerializer)
    def get(self, request: Request) -> Response:
        return Response(_data(services.website_for(client=self.client)))

    @extend_schema(
        operation_id="website_update", request=WebsiteSerializer, responses=WebsiteSerializer
    )
    def put(self, request: Request) -> Response:
        payload = WebsiteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # A service's ValidationError is answered 400 by dexem.exception_handlers.
        website = services.website_update(
            client=self.client,
            allowed_origins=payload.validated_data["allowed_origins"],
            default_number=payload.validated_data["default_number"],
            actor=request.user,
        )
        return Response(_data(website))
