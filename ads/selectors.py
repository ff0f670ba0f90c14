"""Reads of the ads app: accounts a principal may see (with their grant annotated), the mirror with the seed's
filters, lead forms and leads."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, QuerySet, Subquery

from ads.models import (
    Ad,
    AdAccount,
    AdAccountPermission,
    AdSet,
    Campaign,
    Creative,
    Insight,
    Lead,
    LeadForm,
)
from ads.services.access import implicit_rank
from core.auth import Principal


def accounts() -> QuerySet[AdAccount]:
    return AdAccount.objects.select_related("connection", "team").order_by("name", "id")


def accounts_visible_to(principal: Principal) -> QuerySet[AdAccount]:
    """Every account for tenant admins and API keys; for other members, the accounts granted to them, each
    annotated with `granted_permission` so permission checks cost no query."""
    queryset = accounts()
    if implicit_rank(principal) is not None:
        return queryset
    grant = AdAccountPermission.objects.filter(ad_account=OuterRef("pk"), user=principal.user).values("permission")
    return queryset.annotate(granted_permission=Subquery(grant[:1])).filter(granted_permission__isnull=False)


def account_permissions(account: AdAccount) -> QuerySet[AdAccountPermission]:
    return AdAccountPermission.objects.filter(ad_account=account).select_related("user").order_by("created_at", "id")


def _filter_ids(queryset: QuerySet, field: str, ids: Iterable[str] | None) -> QuerySet:
    ids = [i for i in (ids or []) if i]
    return queryset.filter(**{f"{field}__in": ids}) if ids else queryset


def campaigns(
    account: AdAccount, *, ids: list[str] | None = None, statuses: list[str] | None = None
) -> QuerySet[Campaign]:
    queryset = Campaign.objects.filter(ad_account=account).order_by("-remote_created_at", "id")
    queryset = _filter_ids(queryset, "remote_id", ids)
    return _filter_ids(queryset, "status", statuses)


def ad_sets(
    account: AdAccount,
    *,
    ids: list[str] | None = None,
    campaign_ids: list[str] | None = None,
    statuses: list[str] | None = None,
) -> QuerySet[AdSet]:
    queryset = AdSet.objects.filter(ad_account=account).order_by("-remote_created_at", "id")
    queryset = _filter_ids(queryset, "remote_id", ids)
    queryset = _filter_ids(queryset, "campaign_remote_id", campaign_ids)
    return _filter_ids(queryset, "status", statuses)


def ads(
    account: AdAccount,
    *,
    ids: list[str] | None = None,
    campaign_ids: list[str] | None = None,
    ad_set_ids: list[str] | None = None,
    statuses: list[str] | None = None,
) -> QuerySet[Ad]:
    queryset = Ad.objects.filter(ad_account=account).order_by("-remote_created_at", "id")
    queryset = _filter_ids(queryset, "remote_id", ids)
    queryset = _filter_ids(queryset, "campaign_remote_id", campaign_ids)
    queryset = _filter_ids(queryset, "ad_set_remote_id", ad_set_ids)
    return _filter_ids(queryset, "status", statuses)


def creatives(
    account: AdAccount,
    *,
    ids: list[str] | None = None,
    campaign_ids: list[str] | None = None,
    ad_set_ids: list[str] | None = None,
) -> QuerySet[Creative]:
    queryset = Creative.objects.filter(ad_account=account).order_by("-remote_created_at", "id")
    queryset = _filter_ids(queryset, "remote_id", ids)
    if campaign_ids or ad_set_ids:
        used = _filter_ids(
            _filter_ids(Ad.objects.filter(ad_account=account), "campaign_remote_id", campaign_ids),
            "ad_set_remote_id",
            ad_set_ids,
        )
        queryset = queryset.filter(remote_id__in=used.values("creative_remote_id"))
    return queryset


def stored_insights(
    account: AdAccount, *, level: str, since, until, breakdown: str = "", ids: list[str] | None = None
) -> QuerySet[Insight]:
    queryset = Insight.objects.filter(
        ad_account=account, level=level, breakdown=breakdown, date__gte=since, date__lte=until
    ).order_by("date", "object_remote_id", "breakdown_value", "id")
    return _filter_ids(queryset, "object_remote_id", ids)


def lead_forms(account: AdAccount) -> QuerySet[LeadForm]:
    return LeadForm.objects.filter(ad_account=account).order_by("-remote_created_at", "id")


def leads(form: LeadForm) -> QuerySet[Lead]:
    return Lead.objects.filter(lead_form=form).order_by("-remote_created_at", "id")
