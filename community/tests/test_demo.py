"""`seed_demo` builds a community and running it twice adds nothing."""

from __future__ import annotations

from community import demo
from community.models import Board, Comment, Member, Post, Reply, Report, Tag
from core import tenancy


def test_demo_builds_a_community_idempotently(tenant, owner):
    demo.seed_demo(tenant=tenant, owner=owner.user)
    demo.seed_demo(tenant=tenant, owner=owner.user)
    with tenancy.tenant_context(tenant):
        assert (Member.objects.count(), Board.objects.count(), Post.objects.count()) == (5, 4, 4)
        assert (Comment.objects.count(), Reply.objects.count(), Tag.objects.count()) == (3, 2, 2)
        welcome = Post.objects.get(headline="Welcome to the community!")
        assert (welcome.react_count, welcome.s1_count, welcome.comment_count, welcome.reply_count) == (3, 2, 1, 1)
        assert Post.objects.get(headline__startswith="How long").status == "pending"
        assert Board.objects.get(name="General").post_count == 1
        [report] = Report.objects.all()  # the moderators' queue has one open report, not one per run
        assert (report.status, report.reporter.username) == ("open", "leo_hops")
