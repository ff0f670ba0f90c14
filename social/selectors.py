"""Reads of the social app (querysets scoped to the current tenant, relations loaded here once)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from core.auth import Principal
from social.models import Channel, ChannelStatus, TeamChannel


def channels() -> QuerySet[Channel]:
    """Every channel of the current tenant, with team links prefetched, in a stable order."""
    return (
        Channel.objects.select_related("connected_by")
        .prefetch_related(Prefetch("team_links", queryset=TeamChannel.objects.only("id", "team_id", "channel_id")))
        .order_by("name", "id")
    )


def sees_all_channels(principal: Principal) -> bool:
    """OWNER/ADMIN members and API keys see every channel; other members see their teams' channels."""
    return principal.user is None or principal.is_tenant_admin


def channels_visible_to(principal: Principal) -> QuerySet[Channel]:
    """The channels `principal` may see: all for OWNER/ADMIN and API keys, else those of the member's teams."""
    queryset = channels()
    if sees_all_channels(principal):
        return queryset
    return queryset.filter(pk__in=visible_channel_ids_subquery(principal.user.pk))


def visible_channel_ids_subquery(user_id) -> QuerySet:
    """Ids of the channels assigned to any team `user_id` belongs to (for `pk__in=`; one SQL subquery)."""
    return TeamChannel.objects.filter(team__members__user_id=user_id).values("channel_id")


def channel_ids_visible_to(principal: Principal) -> set | None:
    """Ids of the channels `principal` may see, or None meaning "all of the tenant's"."""
    if sees_all_channels(principal):
        return None
    return set(visible_channel_ids_subquery(principal.user.pk).values_list("channel_id", flat=True))


def publishable_channels() -> QuerySet[Channel]:
    """Active channels with publishing switched on."""
    return channels().filter(status=ChannelStatus.ACTIVE, publishing_enabled=True)


def channel_counts(queryset: QuerySet[Channel]) -> dict:
    """{total, needsAttention, byNetwork: {network: n}, byStatus: {status: n}} for `queryset`."""
    by_network = dict(queryset.order_by().values_list("network").annotate(n=Count("id")).values_list("network", "n"))
    by_status = dict(queryset.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "total": sum(by_status.values()),
        "needs_attention": by_status.get(ChannelStatus.NEEDS_ATTENTION, 0),
        "by_network": by_network,
        "by_status": {status: by_status.get(status, 0) for status in ChannelStatus.values},
    }


def team_channels(team) -> QuerySet[Channel]:
    return channels().filter(team_links__team=team)


# --- inbox (listening) ---------------------------------------------------------------------------------------------
def inbox_channels() -> QuerySet[Channel]:
    """Active channels of the current tenant with the inbox product switched on (what ingestion polls)."""
    return Channel.objects.filter(status=ChannelStatus.ACTIVE, inbox_enabled=True).order_by("created_at", "id")


def inbox_channels_for_push(network: str, external_ids: list[str]) -> list[Channel]:
    """Across tenants: the inbox channels a network push names by account id (a page connected by two tenants is
    two channels). Platform read: the caller enters each channel's tenant before writing."""
    from core import tenancy

    with tenancy.platform_access():
        return list(
            Channel.all_tenants.select_related("tenant").filter(
                network=network, external_id__in=external_ids, inbox_enabled=True, status=ChannelStatus.ACTIVE
            )
        )


def inbox_channel_refs_all_tenants() -> list[tuple]:
    """Across tenants: (channel id, tenant id, network) of every active inbox channel (the inbox sweep's list)."""
    from core import tenancy

    with tenancy.platform_access():
        return list(
            Channel.all_tenants.filter(status=ChannelStatus.ACTIVE, inbox_enabled=True).values_list(
                "id", "tenant_id", "network"
            )
        )
