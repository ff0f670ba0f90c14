"""Lead forms (create at the platform, then mirror) and the leads CSV."""

from __future__ import annotations

import csv
import io

from django.db import transaction
from django.utils import timezone

from ads import selectors
from ads.models import AdAccount, AdPermissionLevel, LeadForm
from ads.services.access import call_platform, require
from core import audit
from core.auth import Principal

CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def create_lead_form(account: AdAccount, *, actor: Principal, spec: dict) -> LeadForm:
    """Create the form on the page (with the page's token), then record it: questions, privacy policy,
    thank-you page, intro (context card) and language."""
    require(actor, account, AdPermissionLevel.MANAGER)
    page_id = spec["page_id"]
    thank_you = {k: v for k, v in spec["thank_you_page"].items() if v not in (None, "")}
    payload = {
        "name": spec["name"],
        "questions": [{k: v for k, v in q.items() if v not in (None, "", [])} for q in spec["questions"]],
        "privacy_policy": {"url": spec["privacy_policy_url"], "link_text": spec["privacy_policy_name"]},
        "thank_you_page": thank_you,
        "locale": spec["language"],
    }
    if spec.get("intro_page"):
        payload["context_card"] = spec["intro_page"]

    def create(adapter, token) -> str:
        return adapter.create_lead_form(adapter.page_token(token, page_id), page_id, payload)

    remote_id = call_platform(account, create)
    with transaction.atomic():
        form = LeadForm.objects.create(
            ad_account=account,
            page_id=page_id,
            remote_id=remote_id,
            name=spec["name"],
            status="ACTIVE",
            locale=spec["language"],
            questions=payload["questions"],
            privacy_policy=payload["privacy_policy"],
            thank_you_page=thank_you,
            intro=spec.get("intro_page") or {},
            remote_created_at=timezone.now(),
        )
        audit.record("ads.lead_form_created", form, changes={"remoteId": remote_id, "pageId": page_id}, actor=actor)
    return form


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_PREFIXES) else text  # no formulas when opened in a spreadsheet


def leads_csv(form: LeadForm, *, actor: Principal) -> str:
    """Every synced lead of the form: id, created time, ad, then one column per question field."""
    require(actor, form.ad_account, AdPermissionLevel.ANALYST)
    leads = list(selectors.leads(form))
    fields = sorted({name for lead in leads for name in lead.field_data})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "created_at", "ad_id", *fields])
    for lead in leads:
        writer.writerow(
            [_cell(lead.remote_id), lead.remote_created_at.isoformat(), _cell(lead.ad_remote_id)]
            + [_cell(lead.field_data.get(name, "")) for name in fields]
        )
    audit.record("ads.leads_exported", form, changes={"count": len(leads)}, actor=actor)
    return out.getvalue()
