"""Reported content: members report, moderators hide or dismiss; the queue is for moderators only."""

from __future__ import annotations

from django.urls import reverse

from community.models import Comment, ContentStatus, Post, Report, ReportStatus, RoleKind
from community.tests.factories import CommentFactory, MemberFactory, PostFactory
from core import tenancy

BASE = "/api/v1/community"


def test_members_report_and_a_moderator_hides_the_content(tenant, member_client):
    with tenancy.tenant_context(tenant):
        post = PostFactory()
        alice, bob = MemberFactory(), MemberFactory()
        moderator = MemberFactory(role_kind=RoleKind.MODERATOR)
    url = f"{BASE}/posts/{post.pk}/report"
    first = member_client(alice).post(url, {"reason": "spam"})
    assert first.status_code == 201, first.json()
    member_client(alice).post(url, {"reason": "abuse", "details": "insults"})
    member_client(bob).post(url, {"reason": "spam"})
    assert member_client(alice).post(url, {"reason": "because"}).status_code == 400
    assert member_client(alice).get(f"{BASE}/reports/").status_code == 403
    queue = member_client(moderator).get(f"{BASE}/reports/", {"status": "open"}).json()["results"]
    assert sorted(report["reason"] for report in queue) == ["abuse", "spam"]
    resolved = member_client(moderator).post(f"{BASE}/reports/{queue[0]['id']}/resolve", {"action": "hide"})
    assert resolved.json()["status"] == "hidden"
    with tenancy.tenant_context(tenant):
        assert Post.objects.get(pk=post.pk).status == ContentStatus.HIDDEN
        assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.HIDDEN}
    again = member_client(moderator).post(f"{BASE}/reports/{queue[1]['id']}/resolve", {"action": "dismiss"})
    assert again.status_code == 409


def test_dismissing_a_comment_report_leaves_the_comment(tenant, member_client):
    with tenancy.tenant_context(tenant):
        comment = CommentFactory()
        reporter, moderator = MemberFactory(), MemberFactory(role_kind=RoleKind.MODERATOR)
    report = member_client(reporter).post(f"{BASE}/comments/{comment.pk}/report", {"reason": "offTopic"}).json()
    dismissed = member_client(moderator).post(f"{BASE}/reports/{report['id']}/resolve", {"action": "dismiss"})
    assert dismissed.json()["status"] == "dismissed"
    with tenancy.tenant_context(tenant):
        assert Comment.objects.get(pk=comment.pk).status == ContentStatus.PUBLISHED


def test_admin_hides_reported_content(client, tenant, member_client, django_user_model):
    with tenancy.tenant_context(tenant):
        post, reporter = PostFactory(), MemberFactory()
    member_client(reporter).post(f"{BASE}/posts/{post.pk}/report", {"reason": "spam"})
    client.force_login(django_user_model.objects.create_superuser("ops@hubbub.local", "pw-admin-test"))
    with tenancy.tenant_context(tenant):
        report = Report.objects.get()
    assert client.get(reverse("admin:community_report_changelist")).status_code == 200
    client.post(
        reverse("admin:community_report_changelist"), {"action": "hide_content", "_selected_action": [str(report.pk)]}
    )
    with tenancy.tenant_context(tenant):
        assert Post.objects.get(pk=post.pk).status == ContentStatus.HIDDEN
