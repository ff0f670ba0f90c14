"""Demo data of the community (called by `manage.py seed_demo`): boards, members of every role, threads with
comments, replies and reactions, a post waiting for approval, a reported comment in the moderators' queue, tags.

Idempotent: members are found by username, boards by name and threads by headline, so re-running adds nothing.
Writes go through the services, acting as the demo community's admin member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from community.access import member_token_principal
from community.models import Board, BoardVisibility, Comment, Member, Post, Report, ReportReason, Role, RoleKind, Tag
from community.services import boards as board_services
from community.services import content as content_services
from community.services import reactions as reaction_services
from community.services import reports as report_services
from community.services import tags as tag_services
from community.services.settings import ensure_community
from core import tenancy
from core.auth import Principal

if TYPE_CHECKING:
    from tenants.models import Tenant, User

MEMBERS = (
    # username, first, last, role kind
    ("ana_admin", "Ana", "Admin", RoleKind.ADMIN),
    ("max_mod", "Max", "Moderator", RoleKind.MODERATOR),
    ("mia_brews", "Mia", "Brewer", RoleKind.MEMBER),
    ("leo_hops", "Leo", "Hopper", RoleKind.MEMBER),
    ("zoe_malt", "Zoe", "Malting", RoleKind.MEMBER),
)
BOARDS = (
    # name, about, visibility, private, needs approval, admins-only posting
    ("Announcements", "News from the team.", BoardVisibility.EVERYONE, False, False, True),
    ("General", "Say hello and talk about anything.", BoardVisibility.EVERYONE, False, False, False),
    ("Questions", "Ask the community (posts are reviewed first).", BoardVisibility.MEMBERS, False, True, False),
    ("Beta testers", "Private board for the beta programme.", BoardVisibility.BOARD_MEMBERS, True, False, False),
)
THREADS = (
    # board, author, headline, content, [(commenter, comment, [(replier, reply)])], [(reactor, slot)]
    (
        "Announcements",
        "ana_admin",
        "Welcome to the community!",
        "<p>Introduce yourself in <b>General</b>.</p>",
        [("mia_brews", "Happy to be here!", [("ana_admin", "Welcome, Mia!")])],
        [("mia_brews", "s1"), ("leo_hops", "s1"), ("zoe_malt", "s2")],
    ),
    (
        "General",
        "mia_brews",
        "My first IPA",
        "<p>Cascade and Citra, dry hopped twice. Thoughts?</p>",
        [
            ("leo_hops", "Dry hop at day 3 next time.", [("mia_brews", "Will try, thanks!")]),
            ("zoe_malt", "Which yeast did you use?", []),
        ],
        [("leo_hops", "s1"), ("zoe_malt", "s3")],
    ),
    ("Beta testers", "max_mod", "Beta 2 is out", "<p>Please report anything odd here.</p>", [], []),
)
PENDING = ("Questions", "zoe_malt", "How long should a lager ferment?", "<p>First lager, any tips?</p>")
# reporter, the comment's text, reason: one open report for the moderators' queue.
REPORT = ("leo_hops", "Which yeast did you use?", ReportReason.OFF_TOPIC)
TAGS = (("Brewing", "#fef3c7"), ("Announcements", "#dbeafe"))


def _actor(tenant: Tenant, member: Member) -> Principal:
    return member_token_principal(tenant, member)


def seed_demo(*, tenant: Tenant, owner: User) -> None:
    """Create the demo community in `tenant` (the owner is not a community member: members are customers)."""
    with tenancy.tenant_context(tenant), transaction.atomic():
        community = ensure_community()
        if community.name == "Community":
            community.name = "Demo Brewers Forum"
            community.save(update_fields=["name", "updated_at"])
        members = {}
        for username, first, last, kind in MEMBERS:
            members[username] = Member.objects.select_related("role").filter(username=username).first()
            if members[username] is None:
                members[username] = Member.objects.create(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@customers.example",
                    sso_id=f"demo-{username}",
                    role=Role.objects.get(kind=kind),
                )
        admin = _actor(tenant, members["ana_admin"])
        boards = {}
        for name, about, visibility, private, approval, admins_only in BOARDS:
            boards[name] = Board.objects.filter(name=name).first() or board_services.create_board(
                actor=admin,
                name=name,
                about=about,
                visibility=visibility,
                is_private=private,
                needs_approval=approval,
                posting_roles=[members["ana_admin"].role] if admins_only else None,
            )
        board_services.change_board_members(
            boards["Beta testers"], {members["max_mod"]: True, members["mia_brews"]: True}, actor=admin
        )
        for board, author, headline, html, comments, reactions in THREADS:
            if Post.objects.filter(headline=headline).exists():
                continue
            post = content_services.create_post(
                boards[board], actor=_actor(tenant, members[author]), headline=headline, content=html
            )
            for commenter, text, replies in comments:
                comment = content_services.create_comment(post, actor=_actor(tenant, members[commenter]), content=text)
                for replier, reply in replies:
                    content_services.create_reply(comment, actor=_actor(tenant, members[replier]), content=reply)
            for reactor, slot in reactions:
                reaction_services.add_reaction(post, actor=_actor(tenant, members[reactor]), slot=slot)
        board, author, headline, html = PENDING
        if not Post.objects.filter(headline=headline).exists():
            content_services.create_post(
                boards[board], actor=_actor(tenant, members[author]), headline=headline, content=html
            )
        reporter, text, reason = REPORT
        reported = Comment.objects.get(clean_text=text)
        # Reporting again would reopen a report a moderator resolved: a re-run leaves an existing one alone.
        if not Report.objects.filter(reporter=members[reporter], target_id=reported.pk).exists():
            report_services.report_content(reported, actor=_actor(tenant, members[reporter]), reason=reason)
        for name, colour in TAGS:
            tag = Tag.objects.filter(display_name=name).first() or tag_services.create_tag(
                actor=admin, name=name, back_color=colour
            )
            if name == "Brewing":
                first_ipa = Post.objects.get(headline="My first IPA")
                tag_services.map_tag(tag, actor=admin, ref_type="post", ref_id=first_ipa.pk)
