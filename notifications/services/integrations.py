"""Integration writes (credentials validated when active, one primary per channel, soft delete) and routing: which
integration a message goes through (`candidates`), with the circuit breaker that skips a failing provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import audit
from core.auth import Principal
from core.errors import ValidationFailed
from notifications import conditions as conditions_module
from notifications.errors import IntegrationCheckFailed, IntegrationIdentifierTaken
from notifications.models import Integration
from notifications.providers import PROVIDERS, adapter_for
from notifications.providers.base import ProviderError

CIRCUIT_FAILURE_THRESHOLD = 5
CIRCUIT_OPEN_SECONDS = 60


def _validate(channel: str, provider_id: str, credentials: dict, conditions: list, *, is_active: bool) -> None:
    provider = PROVIDERS.get(provider_id)
    if provider is None:
        raise ValidationFailed(details={"providerId": [f"Unknown provider {provider_id!r}."]})
    if provider.channel != channel:
        raise ValidationFailed(details={"providerId": [f"{provider_id} is a {provider.channel} provider."]})
    try:
        conditions_module.validate(conditions)
    except conditions_module.ConditionError as exc:
        raise ValidationFailed(details={"conditions": [str(exc)]}) from None
    if is_active:
        missing = provider.missing_credentials(credentials)
        if missing:
            raise ValidationFailed(
                details={"credentials": [f"Required for an active integration: {', '.join(missing)}."]}
            )


def _clear_other_primaries(integration: Integration) -> None:
    Integration.objects.filter(channel=integration.channel, is_primary=True, is_deleted=False).exclude(
        pk=integration.pk
    ).update(is_primary=False)


def create_integration(
    *,
    actor: Principal,
    channel: str,
    provider_id: str,
    name: str,
    identifier: str,
    credentials: dict[str, Any] | None = None,
    is_active: bool = False,
    is_primary: bool = False,
    conditions: list | None = None,
) -> Integration:
    """Create an integration; an active one must carry its provider's required credentials."""
    credentials, conditions = credentials or {}, conditions or []
    _validate(channel, provider_id, credentials, conditions, is_active=is_active)
    try:
        with transaction.atomic():
            integration = Integration(
                channel=channel,
                provider_id=provider_id,
                name=name,
                identifier=identifier,
                is_active=is_active,
                is_primary=is_primary,
                conditions=conditions,
            )
            integration.credentials = credentials
            if is_primary:
                _clear_other_primaries(integration)
            integration.save()
            audit.record(
                "notifications.integration.create",
                integration,
                actor=actor,
                changes={"providerId": provider_id, "channel": channel, "active": is_active, "primary": is_primary},
            )
    except IntegrityError:
        raise IntegrationIdentifierTaken(details={"identifier": [f"{identifier!r} is taken."]}) from None
    return integration


def update_integration(integration: Integration, *, actor: Principal, **changes: Any) -> Integration:
    """Change fields; `credentials` are merged key by key (write-only: a client cannot read them back to resend)."""
    credentials = integration.credentials
    if "credentials" in changes:
        credentials = {**credentials, **(changes.pop("credentials") or {})}
        credentials = {k: v for k, v in credentials.items() if v not in (None, "")}
    is_active = changes.get("is_active", integration.is_active)
    conditions = changes.get("conditions", integration.conditions)
    _validate(integration.channel, integration.provider_id, credentials, conditions, is_active=is_active)
    before = {"name": integration.name, "identifier": integration.identifier, "active": integration.is_active}
    try:
        with transaction.atomic():
            for name, value in changes.items():
                setattr(integration, name, value)
            integration.credentials = credentials
            if integration.is_primary:
                _clear_other_primaries(integration)
            integration.save()
            after = {"name": integration.name, "identifier": integration.identifier, "active": integration.is_active}
            audit.record(
                "notifications.integration.update", integration, actor=actor, changes=audit.diff(before, after)
            )
    except IntegrityError:
        raise IntegrationIdentifierTaken() from None
    return integration


def make_primary(integration: Integration, *, actor: Principal) -> Integration:
    with transaction.atomic():
        _clear_other_primaries(integration)
        integration.is_primary = True
        integration.save(update_fields=["is_primary", "updated_at"])
        audit.record("notifications.integration.primary", integration, actor=actor)
    return integration


def delete_integration(integration: Integration, *, actor: Principal) -> None:
    """Soft delete: the row stays (messages refer to it), it is never used again and frees its identifier."""
    with transaction.atomic():
        integration.is_deleted = True
        integration.is_active = False
        integration.is_primary = False
        integration.deleted_at = timezone.now()
        integration.deleted_by = actor.user
        integration.save()
        audit.record("notifications.integration.delete", integration, actor=actor)


def check_integration(integration: Integration, *, actor: Principal) -> Integration:
    """A harmless authenticated call to the provider; 400 INTEGRATION_CHECK_FAILED with its answer on failure."""
    try:
        adapter_for(integration.provider_id, integration.credentials).check()
    except ProviderError as exc:
        raise IntegrationCheckFailed(exc.message, details=exc.as_dict()) from None
    integration.last_checked_at = timezone.now()
    integration.save(update_fields=["last_checked_at", "updated_at"])
    return integration


# --- routing -------------------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    integration: Integration
    eligible: bool
    reason: str
    trace: list[dict[str, Any]] = field(default_factory=list)


def route(channel: str, context: dict[str, Any]) -> list[Candidate]:
    """Every non-deleted integration of the channel, primary first, with whether (and why) it would be used."""
    return route_many(channel, [context])[0]


def route_many(channel: str, contexts: list[dict[str, Any]]) -> list[list[Candidate]]:
    """`route` for each context, with one query: the candidates share their `Integration` objects, so a circuit
    that opens while one batch is sent is seen by the next."""
    now = timezone.now()
    integrations = list(
        Integration.objects.filter(channel=channel, is_deleted=False).order_by("-is_primary", "created_at", "id")
    )
    return [[_candidate(integration, context, now) for integration in integrations] for context in contexts]


def _candidate(integration: Integration, context: dict[str, Any], now) -> Candidate:
    if not integration.is_active:
        return Candidate(integration, False, "inactive")
    passed, trace = conditions_module.evaluate(integration.conditions, context)
    if not passed:
        return Candidate(integration, False, "conditions not met", trace)
    if integration.circuit_open_until and integration.circuit_open_until > now:
        return Candidate(integration, False, "circuit open", trace)
    return Candidate(integration, True, "eligible", trace)


def acquire(integration: Integration) -> bool:
    """May we call this integration now? Closed circuit: yes. After the open period, exactly one caller gets the
    half-open probe (a guarded UPDATE pushes the open period forward for everyone else)."""
    if integration.failure_count < CIRCUIT_FAILURE_THRESHOLD:
        return True
    now = timezone.now()
    claimed = Integration.objects.filter(
        Q(circuit_open_until__isnull=True) | Q(circuit_open_until__lte=now), pk=integration.pk
    ).update(circuit_open_until=now + timedelta(seconds=CIRCUIT_OPEN_SECONDS))
    return claimed == 1


def record_success(integration: Integration) -> None:
    if integration.failure_count or integration.circuit_open_until:
        Integration.objects.filter(pk=integration.pk).update(failure_count=0, circuit_open_until=None)


def record_failure(integration: Integration) -> None:
    """Count a provider failure; the threshold-th consecutive one opens the circuit."""
    Integration.objects.filter(pk=integration.pk).update(failure_count=F("failure_count") + 1)
    integration.refresh_from_db(fields=["failure_count"])
    if integration.failure_count >= CIRCUIT_FAILURE_THRESHOLD:
        Integration.objects.filter(pk=integration.pk).update(
            circuit_open_until=timezone.now() + timedelta(seconds=CIRCUIT_OPEN_SECONDS)
        )
