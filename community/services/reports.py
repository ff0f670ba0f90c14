"""Reports: members flag content for the moderators; moderators hide it or dismiss the report."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from community import access, errors
from community.models import Comment, Post, Reply, Report, ReportStatus, RolePermission, TargetType
from community.services import content as content_services
from core import audit
from core.auth import Principal

MODELS = {TargetType.POST: Post, TargetType.COMMENT: Comment, TargetType.REPLY: Reply}
TARGET_TYPES = {model: target_type for target_type, model in MODELS.items()}


@transaction.atomic
def report_content(target: Post | Comment | Reply, *, actor: Principal, reason: str, details: str = "") -> Report:
    """The acting member's report on `target`; reporting again updates the reason (one report per member)."""
    member = access.require_member(actor)
    report, created = Report.objects.update_or_create(
        reporter=member,
        target_type=TARGET_TYPES[type(target)],
        target_id=target.pk,
        defaults={"reason": reason, "details": details, "status": ReportStatus.OPEN},
    )
    audit.record(
        "community.report.created" if created else "community.report.updated",
        report,
        actor=actor,
        actor_label=access.actor_label(actor),
        changes={"reason": reason},
    )
    return report


@transaction.atomic
def resolve_report(report: Report, *, actor: Principal, hide: bool) -> Report:
    """Hide the reported content (every open report on it is resolved with it), or dismiss this report."""
    access.require(actor, RolePermission.CONTENT_MODERATE)
    if report.status != ReportStatus.OPEN:
        raise errors.InvalidContentState("The report was already resolved.")
    now, label = timezone.now(), access.actor_label(actor)
    if hide:
        target = MODELS[report.target_type].objects.filter(pk=report.target_id).first()
        if target is not None and target.status in content_services.ALLOWED_FROM["hide"]:
            if isinstance(target, Post):
                content_services.hide_post(target, actor=actor)
            else:
                content_services.moderate(target, actor=actor, action="hide")
        Report.objects.filter(
            target_type=report.target_type, target_id=report.target_id, status=ReportStatus.OPEN
        ).update(status=ReportStatus.HIDDEN, resolved_by=label, resolved_at=now)
    else:
        Report.objects.filter(pk=report.pk).update(status=ReportStatus.DISMISSED, resolved_by=label, resolved_at=now)
    report.refresh_from_db()
    audit.record("community.report.resolved", report, actor=actor, actor_label=label, changes={"status": report.status})
    return report
