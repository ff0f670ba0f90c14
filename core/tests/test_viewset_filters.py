"""Filter backends run on list routes only (core.api.viewsets.TenantViewSet.filter_queryset)."""

from __future__ import annotations

from core.api.viewsets import TenantModelViewSet


class _Recording:
    calls: list[str] = []

    def filter_queryset(self, request, queryset, view):
        self.calls.append(view.action)
        return queryset


class _Rows(TenantModelViewSet):
    filter_backends = [_Recording]

    def scope_queryset(self):
        return []


def test_detail_routes_build_no_filter_backends_list_routes_do():
    _Recording.calls = []
    detail = _Rows(kwargs={"pk": "0d2b0a4e-0f57-4a63-8a0f-6f7e2c6a9e55"}, action="retrieve", request=None)
    rows = ["row"]
    assert detail.filter_queryset(rows) is rows
    listing = _Rows(kwargs={}, action="list", request=None)
    assert listing.filter_queryset(rows) is rows
    assert _Recording.calls == ["list"]
