"""The post filters, shared by the post list, the calendar, the counts and the exports ("the same filters").

Query keys are camelCase on the wire (`publishAtFrom`) and underscoreized by the middleware before they get here.
Multi-valued filters take comma-separated values (`?state=draft,scheduled&channel=<id>,<id>`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from contentplanner.models import Post, PostState
from core.errors import ValidationFailed


class UUIDInFilter(filters.BaseInFilter, filters.UUIDFilter):
    pass


class StateInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    pass


class PostFilter(filters.FilterSet):
    state = StateInFilter(field_name="state", choices=PostState.choices, help_text="Comma-separated post states.")
    channel = UUIDInFilter(field_name="channel_id", help_text="Comma-separated channel ids.")
    campaign = UUIDInFilter(field_name="campaign_id", help_text="Comma-separated campaign ids.")
    tag = UUIDInFilter(method="filter_tag", help_text="Comma-separated tag ids: posts carrying any of them.")
    publish_at_from = filters.IsoDateTimeFilter(field_name="publish_at", lookup_expr="gte")
    publish_at_to = filters.IsoDateTimeFilter(field_name="publish_at", lookup_expr="lte")
    created_by = UUIDInFilter(field_name="author_id", help_text="Comma-separated author (user) ids.")
    assignee = UUIDInFilter(field_name="assignee_id", help_text="Comma-separated assignee (user) ids.")
    needs_attention = filters.BooleanFilter(field_name="needs_attention")
    search = filters.CharFilter(method="filter_search", help_text="Case-insensitive match in text or title.")

    class Meta:
        model = Post
        fields = [
            "state",
            "channel",
            "campaign",
            "tag",
            "publish_at_from",
            "publish_at_to",
            "created_by",
            "assignee",
            "needs_attention",
            "search",
        ]

    def filter_tag(self, queryset: QuerySet[Post], name: str, value) -> QuerySet[Post]:
        if not value:
            return queryset
        # A subquery, not a join: a post with two matching tags must still count (and export) once.
        tagged = Post.tags.through.objects.filter(tag_id__in=value).values("post_id")
        return queryset.filter(pk__in=tagged)

    def filter_search(self, queryset: QuerySet[Post], name: str, value: str) -> QuerySet[Post]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(text__icontains=value) | Q(title__icontains=value))


def filter_posts(request, queryset: QuerySet[Post]) -> QuerySet[Post]:
    """Apply PostFilter to `queryset` outside a list view (calendar, counts, exports); bad values -> 400."""
    filterset = PostFilter(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationFailed(details={camelize_key(k): v for k, v in filterset.errors.items()})
    return filterset.qs


def camelize_key(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def post_filter_parameters() -> list[OpenApiParameter]:
    """PostFilter's query parameters for `extend_schema` on views that are not list views."""
    parameters = []
    for name, filter_ in PostFilter.base_filters.items():
        kind = OpenApiTypes.STR
        if isinstance(filter_, filters.IsoDateTimeFilter):
            kind = OpenApiTypes.DATETIME
        elif isinstance(filter_, filters.BooleanFilter):
            kind = OpenApiTypes.BOOL
        description = str(filter_.extra.get("help_text") or "")
        parameters.append(OpenApiParameter(camelize_key(name), kind, description=description))
    return parameters
