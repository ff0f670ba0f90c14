"""Reads of the social app (querysets scoped to the current tenant, relations loaded here once)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from core.auth import Principal
from social.models import (
    BitlyAccount,
    Channel,
    ChannelStatus,
    ChannelTokenOwner,
    ConnectGrant,
    Media,
    MediaTag,
    OAuthState,
    ShortLink,
    TeamChannel,
)
from social.networks.registry import ADAPTER_PATHS


def channels() -> QuerySet[Channel]:
    """Every channel of the current tenant, with team links prefetched, in a stable order."""
    return (
        Channel.objects.select_related("connected_by")
        .prefetch_related(Prefetch("team_links", queryset=TeamChannel.objects.only("id", "team_id", "channel_id")))
        .order_by("name", "id")
    )


def token_owners(channel: Channel) -> list[dict[str, Any]]:
    """Whose tokens `channel` holds (never the tokens): the one in use first, then the most recent grants."""
    owners = ChannelTokenOwner.objects.filter(channel=channel).select_related("user").order_by("-updated_at", "id")
    rows = [
        {
            "user_id": owner.user_id,
            "user_name": owner.user.full_name if owner.user else "",
            "email": owner.user.email if owner.user else "",
            "is_in_use": owner.user_id == channel.token_owner_id and bool(channel.access_token),
            "is_valid": owner.is_valid,
            "invalid_reason": owner.invalid_reason,
            "token_expires_at": owner.token_expires_at,
            "scopes": owner.scopes,
            "granted_at": owner.updated_at,
        }
        for owner in owners
    ]
    return sorted(rows, key=lambda row: not row["is_in_use"])


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


def active_channel_count() -> int:
    """Channels that count against the plan limit: every channel not disconnected."""
    return Channel.objects.exclude(status=ChannelStatus.DISCONNECTED).count()


def media_items() -> QuerySet[Media]:
    """The current tenant's media, newest first, with uploader and tags loaded in fixed extra queries."""
    return (
        Media.objects.select_related("uploaded_by")
        .prefetch_related(Prefetch("tags", queryset=MediaTag.objects.order_by("name")))
        .order_by("-created_at", "-id")
    )


def media_folder_tree() -> dict[str, Any]:
    """The current tenant's media folders as a tree, from one grouped query: each node has its `path`, `name`,
    `media_count` (directly in it), `total_count` (with its subfolders) and `children` (by name). The root is the
    node with path ''. Folders exist through their media: an emptied folder disappears."""
    root: dict[str, Any] = {"path": "", "name": "", "media_count": 0, "total_count": 0, "children": {}}
    for folder, count in Media.objects.order_by().values_list("folder").annotate(count=Count("id")):
        node = root
        node["total_count"] += count
        parts = folder.split("/") if folder else []
        for depth, part in enumerate(parts):
            path = "/".join(parts[: depth + 1])
            node = node["children"].setdefault(
                part, {"path": path, "name": part, "media_count": 0, "total_count": 0, "children": {}}
            )
            node["total_count"] += count
        node["media_count"] += count

    def ordered(node: dict[str, Any]) -> dict[str, Any]:
        children = [ordered(child) for _, child in sorted(node["children"].items(), key=lambda kv: kv[0].lower())]
        return {**node, "children": children}

    return ordered(root)


def storage_used_bytes() -> int:
    """Bytes the current tenant's media library holds (what counts against the plan's storage limit)."""
    return Media.objects.aggregate(total=Sum("size_bytes"))["total"] or 0


def short_links() -> QuerySet[ShortLink]:
    """The current tenant's short links, newest first."""
    return ShortLink.objects.select_related("created_by").order_by("-created_at", "-id")


def bitly_account() -> BitlyAccount | None:
    """The current tenant's bit.ly connection (one per tenant), or None."""
    return BitlyAccount.objects.select_related("connected_by").first()


def channels_due_for_refresh(*, window: timedelta) -> QuerySet:
    """(id, tenant_id) of active channels, across tenants, whose token expires within `window`, on networks that
    have an adapter. A platform scan: call it inside `tenancy.platform_access()`."""
    return (
        Channel.all_tenants.filter(
            status=ChannelStatus.ACTIVE,
            network__in=list(ADAPTER_PATHS),
            token_expires_at__isnull=False,
            token_expires_at__lte=timezone.now() + window,
        )
        .exclude(access_token="")
        .order_by("token_expires_at", "id")
        .values_list("id", "tenant_id")
    )


def stale_oauth_states(*, older_than: timedelta) -> QuerySet[OAuthState]:
    """Connect attempts, across tenants, started before `older_than` ago (platform scan, like the above)."""
    return OAuthState.all_tenants.filter(created_at__lt=timezone.now() - older_than)


def connected_external_ids(network: str, external_ids: list[str]) -> set[str]:
    """Which of these accounts are connected channels of the current tenant."""
    return set(
        Channel.objects.filter(network=network, external_id__in=external_ids)
        .exclude(status=ChannelStatus.DISCONNECTED)
        .values_list("external_id", flat=True)
    )


def stale_connect_grants() -> QuerySet[ConnectGrant]:
    """Grants, across tenants, that were used or have expired: their tokens are of no use to anyone any more."""
    return ConnectGrant.all_tenants.filter(Q(consumed_at__isnull=False) | Q(expires_at__lte=timezone.now()))


def open_connect_grant(principal: Principal, grant_id) -> ConnectGrant | None:
    """The caller's own unused, unexpired grant `grant_id` in the current tenant (None for anyone else's)."""
    if principal.user is None:
        return None
    return ConnectGrant.objects.filter(
        pk=grant_id, user=principal.user, consumed_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


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


def members_who_see_channel(channel: Channel) -> list:
    """Active members of the current tenant who see `channel` (OWNER/ADMIN see every channel, others their teams'
    channels: the rule of `channels_visible_to`), oldest member first."""
    from tenants import selectors as tenant_selectors
    from tenants.roles import Role

    team_user_ids = set(
        TeamChannel.objects.filter(channel_id=channel.pk).values_list("team__members__user_id", flat=True)
    )
    return [
        membership
        for membership in tenant_selectors.active_members()
        if membership.role in (Role.OWNER, Role.ADMIN) or membership.user_id in team_user_ids
    ]


def active_channels_of_all_tenants(networks: frozenset[str] | set[str] | list[str]) -> QuerySet[Channel]:
    """Active channels of every tenant on `networks` (platform jobs only: the caller holds platform access)."""
    return Channel.all_tenants.filter(status=ChannelStatus.ACTIVE, network__in=list(networks))


def channel_field(outer_channel_id: str, field: str) -> Subquery:
    """One column of the channel whose id is the outer query's `outer_channel_id` column (a scalar subquery, e.g.
    to list rows with their channel's name in one query)."""
    # By primary key alone: the outer row's own channel (row-level security holds on PostgreSQL), found by the
    # primary key index whatever the planner guesses of the tenant's size.
    return Subquery(Channel.all_tenants.filter(pk=OuterRef(outer_channel_id)).order_by().values(field)[:1])


def channel(channel_id: object) -> Channel | None:
    """The current tenant's channel with this id, or None."""
    return Channel.objects.filter(pk=channel_id).first()


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


def media_public_url(media: Media) -> str | None:
    """The absolute URL of a media file (local storage gives a path, made absolute with PUBLIC_BASE_URL): for
    pages outside the API, e.g. the content planner's client approval preview."""
    from django.conf import settings  # appended function: the module's imports stay as they were

    if not media.file:
        return None
    url = media.file.url
    return url if "://" in url else f"{settings.PUBLIC_BASE_URL}{url}"
