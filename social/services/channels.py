"""Channel writes: create direct channels, upsert connected accounts, update, disconnect, team assignment."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from core import audit, notify, tenancy, url_safety
from core.auth import Principal
from core.errors import ValidationFailed
from social import selectors
from social.errors import ChannelLimitReached, ChannelNotInGrant
from social.models import Channel, ChannelNetwork, ChannelStatus, ChannelTokenOwner, TeamChannel
from social.models.channels import DIRECT_NETWORKS
from social.networks.base import ChannelCredentials, ConnectedAccount, NetworkError, TokenSet
from social.networks.registry import UnknownNetwork, get_adapter
from social.networks.sandbox import SandboxAdapter
from social.services import token_owners
from tenants import selectors as tenant_selectors
from tenants.roles import Role
from tenants.services.verification import require_verified_email

if TYPE_CHECKING:
    from tenants.models import Team

ATTENTION_EVENT = "social.channel.needs_attention"
ADMIN_ROLES = (Role.OWNER, Role.ADMIN)

logger = logging.getLogger(__name__)


def credentials_for(channel: Channel) -> ChannelCredentials:
    """What an adapter needs to act for `channel`: decrypted tokens plus `config` as `extra`."""
    return ChannelCredentials(
        external_id=channel.external_id,
        access_token=channel.access_token or "",
        refresh_token=channel.refresh_token or "",
        expires_at=channel.token_expires_at,
        extra=dict(channel.config or {}),
    )


def ensure_channel_capacity(new_channels: int = 1) -> None:
    """Raise LIMIT_REACHED when adding `new_channels` would pass the tenant's plan channel limit."""
    if new_channels <= 0:
        return
    limit = tenancy.require_current_tenant().limits.get("channels")
    if limit is None:
        return
    used = selectors.active_channel_count()
    if used + new_channels > limit:
        raise ChannelLimitReached(f"Your plan allows {limit} channels.", details={"limit": limit, "used": used})


def _validate_direct_config(network: str, config: dict) -> dict:
    config = dict(config or {})
    if network == ChannelNetwork.CUSTOM:
        endpoint = str(config.get("endpointUrl") or "")
        parsed = urlparse(endpoint)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValidationFailed(details={"config": {"endpointUrl": ["An https URL is required."]}})
        try:
            # The SSRF guard: Hubbub will call this URL, so it must resolve to public addresses only.
            url_safety.check_url(endpoint)
        except url_safety.UrlFetchError as exc:
            raise ValidationFailed(details={"config": {"endpointUrl": [str(exc)]}}) from exc
    if network == ChannelNetwork.PLACEHOLDER and "emailAdvanceTime" in config:
        # Refused until a reminder is sent: stored, it would promise an email nobody sends.
        raise ValidationFailed(
            details={"config": {"emailAdvanceTime": ["Email reminders of placeholder posts are not available yet."]}}
        )
    return config


@transaction.atomic
def create_direct_channel(
    *,
    actor: Principal,
    network: str,
    name: str,
    external_id: str = "",
    username: str = "",
    image_url: str = "",
    config: dict | None = None,
    products: Iterable[str] | None = None,
    teams: Iterable[Team] = (),
) -> Channel:
    """Create a `custom`, `placeholder` or `sandbox` channel (no OAuth); counts against the plan limit. Without
    `teams` it joins the tenant's default team."""
    if network not in DIRECT_NETWORKS:
        raise ValidationFailed(details={"network": [f"Channels of {network!r} are connected with OAuth."]})
    if network == ChannelNetwork.CUSTOM:  # sends posts to an outside endpoint: like connecting a real network
        require_verified_email(actor, "connectChannel")
    config = _validate_direct_config(network, config or {})
    ensure_channel_capacity(1)
    external_id = external_id or f"{network}-{uuid.uuid4().hex[:16]}"
    if Channel.objects.filter(network=network, external_id=external_id).exists():
        raise ValidationFailed(details={"externalId": ["A channel with this id exists already."]})
    products = set(products) if products is not None else {"cp", "inbox"}
    channel = Channel.objects.create(
        network=network,
        external_id=external_id,
        name=name,
        username=username,
        image_url=image_url,
        config=config,
        publishing_enabled="cp" in products,
        inbox_enabled="inbox" in products and network != ChannelNetwork.PLACEHOLDER,
        connected_by=actor.user,
        token_owner=actor.user,
    )
    if network == ChannelNetwork.SANDBOX:
        # The offline network issues its tokens at once: a directly created sandbox channel publishes like one
        # connected through the sandbox's OAuth flow.
        owner = token_owners.record_owner(channel, actor.user, SandboxAdapter().direct_tokens(external_id))
        token_owners.use_owner(channel, owner)
        channel.save()
    _link_teams(channel, list(teams) or _default_teams())
    audit.record("channel.created", channel, changes={"network": network, "name": name}, actor=actor)
    return channel


def _default_teams() -> list[Team]:
    """Where a new channel goes when no team is named: the tenant's default team, so members see it."""
    return list(tenant_selectors.teams().filter(is_default=True))


def _link_teams(channel: Channel, teams: Iterable[Team]) -> None:
    existing = set(TeamChannel.objects.filter(channel=channel).values_list("team_id", flat=True))
    TeamChannel.objects.bulk_create(
        [
            TeamChannel(team=team, channel=channel, tenant_id=channel.tenant_id)
            for team in teams
            if team.pk not in existing
        ]
    )


def apply_tokens(channel: Channel, tokens: TokenSet) -> None:
    """Put a new token set on `channel` (unsaved). An empty refresh token keeps the old one: networks such as
    Facebook and LinkedIn send none on refresh, and wiping it would force the customer to reconnect."""
    channel.access_token = tokens.access_token
    if tokens.refresh_token:
        channel.refresh_token = tokens.refresh_token
    channel.token_expires_at = tokens.expires_at
    if tokens.scopes:
        channel.scopes = list(tokens.scopes)
    if tokens.token_owner_id:
        channel.token_owner_external_id = tokens.token_owner_id


@transaction.atomic
def upsert_connected_accounts(
    accounts: list[ConnectedAccount],
    *,
    actor: Principal,
    user_tokens: TokenSet | None = None,
    team: Team | None = None,
    only_channel: Channel | None = None,
) -> list[Channel]:
    """Create or update one channel per account a grant reaches. Re-connecting updates profile and the connecting
    person's token, which becomes the one in use; another person's token stays as a fallback owner (never
    replaced), and nothing is duplicated. New channels join `team` (else the default team) and count against the
    plan limit, checked once for the whole grant: nothing is written when it does not fit. `only_channel`
    (reconnect) restricts the grant to that one channel."""
    if only_channel is not None:
        accounts = [
            a for a in accounts if a.external_id == only_channel.external_id and a.network == only_channel.network
        ]
        if not accounts:
            raise ChannelNotInGrant(details={"channelId": [str(only_channel.pk)]})
    keys = [(a.network, a.external_id) for a in accounts]
    existing = {
        (c.network, c.external_id): c
        for c in Channel.objects.select_for_update().filter(
            network__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}
        )
    }
    new_count = sum(1 for k in set(keys) if k not in existing or existing[k].status == ChannelStatus.DISCONNECTED)
    ensure_channel_capacity(new_count)
    connected_by = actor.user
    channels: list[Channel] = []
    for account in accounts:
        tokens = account.tokens or user_tokens
        channel = existing.get((account.network, account.external_id))
        created = channel is None
        if created:
            channel = Channel(network=account.network, external_id=account.external_id, connected_by=connected_by)
        before_status = channel.status
        channel.name = account.name or channel.name or account.external_id
        channel.username = account.username or channel.username
        channel.image_url = account.image_url or channel.image_url
        channel.network_url = account.network_url or channel.network_url
        channel.config = {**(channel.config or {}), **(account.extra or {})}
        channel.status = ChannelStatus.ACTIVE
        channel.status_reason = ""
        channel.attention_notified_at = None
        channel.disconnected_at = None
        channel.save()
        if tokens is not None:
            token_owners.use_owner(channel, token_owners.record_owner(channel, connected_by, tokens))
            channel.save()
        if created:
            _link_teams(channel, [team] if team is not None else _default_teams())
        audit.record(
            "channel.connected" if created else "channel.reconnected",
            channel,
            changes={"network": channel.network, "name": channel.name, "status": [before_status, channel.status]},
            actor=actor,
        )
        channels.append(channel)
    return channels


@transaction.atomic
def update_channel(
    channel: Channel,
    *,
    actor: Principal,
    name: str | None = None,
    products: Iterable[str] | None = None,
    teams: list[Team] | None = None,
) -> Channel:
    """Rename, switch products on/off, replace the channel's teams."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    before = {"name": channel.name, "products": channel.products}
    if name is not None:
        channel.name = name
    if products is not None:
        products = set(products)
        channel.publishing_enabled = "cp" in products
        channel.inbox_enabled = "inbox" in products
    channel.save(update_fields=["name", "publishing_enabled", "inbox_enabled", "updated_at"])
    changes = audit.diff(before, {"name": channel.name, "products": channel.products})
    if teams is not None:
        old = set(TeamChannel.objects.filter(channel=channel).values_list("team_id", flat=True))
        new = {team.pk for team in teams}
        TeamChannel.objects.filter(channel=channel).exclude(team_id__in=new).delete()
        _link_teams(channel, teams)
        if old != new:
            changes["teamIds"] = [sorted(map(str, old)), sorted(map(str, new))]
    if changes:
        audit.record("channel.updated", channel, changes=changes, actor=actor)
    return channel


def disconnect_channel(channel: Channel, *, actor: Principal) -> Channel:
    """Revoke the grant where the network offers it (a failure is logged, never blocks), clear the tokens (every
    owner's) and mark the channel disconnected. The row stays: posts and tickets keep their history."""
    if channel.access_token:
        try:
            get_adapter(channel.network).revoke(credentials_for(channel))
        except (UnknownNetwork, ImportError):
            pass  # custom/placeholder channels (no adapter), or an adapter that cannot load: nothing to revoke
        except NetworkError as exc:
            logger.warning(
                "channel revoke failed",
                extra={"channel_id": str(channel.pk), "network": channel.network, "network_code": exc.code},
            )
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        ChannelTokenOwner.objects.filter(channel=channel).delete()
        if channel.status == ChannelStatus.DISCONNECTED and not channel.access_token:
            return channel
        before = channel.status
        channel.access_token = ""
        channel.refresh_token = ""
        channel.token_expires_at = None
        channel.status = ChannelStatus.DISCONNECTED
        channel.status_reason = "Disconnected by a user."
        channel.disconnected_at = timezone.now()
        channel.save()
        audit.record("channel.disconnected", channel, changes={"status": [before, channel.status]}, actor=actor)
    return channel


@transaction.atomic
def set_team_channels(team: Team, channels: list[Channel], *, actor: Principal) -> list[Channel]:
    """Replace the set of channels assigned to `team`."""
    old = set(TeamChannel.objects.filter(team=team).values_list("channel_id", flat=True))
    new = {channel.pk for channel in channels}
    TeamChannel.objects.filter(team=team).exclude(channel_id__in=new).delete()
    TeamChannel.objects.bulk_create(
        [TeamChannel(team=team, channel=c, tenant_id=team.tenant_id) for c in channels if c.pk not in old]
    )
    if old != new:
        audit.record(
            "team.channels_replaced",
            team,
            changes={"channelIds": [sorted(map(str, old)), sorted(map(str, new))]},
            actor=actor,
        )
    return channels


def mark_needs_attention(channel: Channel, *, reason: str, actor: Principal | None = None) -> bool:
    """The network refused the channel's credentials (expired/revoked token, missing permission): switch to another
    token owner's valid token when there is one (the channel stays active); else mark the channel
    `needsAttention` (audit-logged) and tell the tenant's owners and admins, once per incident
    (`attention_notified_at`, cleared when the channel is healthy again). Safe inside the caller's transaction:
    the notice goes out on commit. `actor` is None when the system noticed (a task, the publishing pipeline).
    Returns True when this call changed the status."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.status == ChannelStatus.ACTIVE and locked.access_token != channel.access_token:
            return False  # the token that failed is no longer in use (switched or reconnected meanwhile)
        if locked.status == ChannelStatus.ACTIVE and token_owners.fall_back_to_another_owner(
            locked, reason=reason, actor=actor
        ):
            return False
        changed = locked.status == ChannelStatus.ACTIVE
        if changed:
            locked.status = ChannelStatus.NEEDS_ATTENTION
            locked.status_reason = reason[:500]
            locked.save(update_fields=["status", "status_reason", "updated_at"])
            audit.record(
                "channel.needs_attention",
                locked,
                changes={"status": [ChannelStatus.ACTIVE, locked.status], "reason": reason},
                actor=actor,
            )
        if locked.status == ChannelStatus.NEEDS_ATTENTION and locked.attention_notified_at is None:
            locked.attention_notified_at = timezone.now()
            locked.save(update_fields=["attention_notified_at", "updated_at"])
            _notify_attention(locked, reason=reason)
    return changed


def _admin_emails() -> list[str]:
    """The current tenant's active OWNER and ADMIN members: who hears that a channel needs reconnecting."""
    admins = tenant_selectors.members().filter(role__in=ADMIN_ROLES, is_active=True, user__is_active=True)
    return sorted(admins.values_list("user__email", flat=True))


def _notify_attention(channel: Channel, *, reason: str) -> None:
    tenant = tenancy.require_current_tenant()
    notify.notify(
        ATTENTION_EVENT,
        to=_admin_emails(),
        subject=f"[Hubbub] The channel “{channel.name}” needs your attention",
        body=(
            f"Hubbub can no longer act for the {channel.get_network_display()} channel “{channel.name}” "
            f"in the workspace “{tenant.name}”.\n\nReason: {reason}\n\n"
            "Scheduled posts to this channel will not be published until it is reconnected. "
            "Open Channels in Hubbub and choose Reconnect."
        ),
        tenant_id=tenant.pk,
        data={"channelId": str(channel.pk), "channelName": channel.name, "network": channel.network, "reason": reason},
    )
