"""Posts, comments, replies: board rules, approval queue, moderation, edit history, sanitising, counts, paging."""

from __future__ import annotations

import pytest
from django.utils import timezone

from community.models import Board, ContentStatus, Member, Post, Revision, RoleKind
from community.tests.factories import BoardFactory, CommentFactory, MemberFactory, PostFactory, role_of
from core import tenancy

BASE = "/api/v1/community"

XSS_PAYLOADS = [
    '<script>alert("x")</script>Hello',
    '<img src=x onerror="alert(1)">Hello',
    '<a href="javascript:alert(1)">Hello</a>',
    '<a href="JaVaScRiPt:alert(1)">Hello</a>',
    '<p onmouseover="alert(1)">Hello</p>',
    '<svg onload="alert(1)"><p>Hello</p></svg>',
    '<iframe src="https://evil.example"></iframe>Hello',
    '<p style="background:url(javascript:alert(1))">Hello</p>',
    "<div><style>body{}</style>Hello</div>",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">Hello</a>',
    '<form action="https://evil.example"><input value="x">Hello</form>',
    "<!-- <script>alert(1)</script> -->Hello",
]


def _post(client, board, **extra):
    return client.post(f"{BASE}/posts/", {"boardId": str(board.pk), "headline": "Hi", "content": "<p>Body</p>",
                                          **extra})  # fmt: skip


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_scripts_handlers_and_dangerous_urls_are_stripped(tenant, member_client, payload):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
    response = _post(member_client(member), board, content=payload)
    assert response.status_code == 201, response.json()
    content = response.json()["content"].lower()
    for banned in ("<script", "onerror", "onload", "onmouseover", "javascript:", "<iframe", "<style", "style=",
                   "<svg", "data:", "<form", "<input", "<!--"):  # fmt: skip
        assert banned not in content
    assert response.json()["cleanText"] == "Hello"


def test_oversized_or_empty_html_is_refused(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
    client = member_client(member)
    assert _post(client, board, content="<p>" + "a" * 100_001 + "</p>").status_code == 400
    assert _post(client, board, content="<script>only()</script>").status_code == 400
    with tenancy.tenant_context(tenant):
        assert not Post.objects.exists()


def test_clean_and_short_text_are_derived_on_the_server(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
    long = "<p>" + " ".join(["word"] * 60) + "</p><p>&amp; more</p>"
    body = _post(member_client(member), board, content=long, cleanText="forged").json()
    assert body["cleanText"].endswith("word & more")
    assert len(body["shortText"]) <= 111 and body["shortText"].endswith("…")


def test_posting_roles_refuse_other_roles_with_the_rule(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board = BoardFactory()
        board.posting_roles.set([role_of(RoleKind.MODERATOR)])
        member, moderator = MemberFactory(), MemberFactory(role_kind=RoleKind.MODERATOR)
    refused = _post(member_client(member), board)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "BOARD_POSTING_RESTRICTED"
    assert error["details"] == {"rule": "postingRoles", "allowedRoles": ["Moderator"]}
    assert _post(member_client(moderator), board).status_code == 201
    with tenancy.tenant_context(tenant):
        assert Post.objects.count() == 1


def test_a_custom_role_without_post_create_cannot_post(tenant, owner_client, member_client):
    role = owner_client.post(f"{BASE}/roles/", {"name": "Reader", "permissions": ["react"]})
    assert role.status_code == 201, role.json()
    with tenancy.tenant_context(tenant):
        board = BoardFactory()
        reader = MemberFactory(role_id=role.json()["id"])
    refused = _post(member_client(reader), board)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "COMMUNITY_FORBIDDEN")


def test_moderated_board_queues_member_posts_until_approved(
    tenant, member_client, published_events, django_capture_on_commit_callbacks
):
    with tenancy.tenant_context(tenant):
        board = BoardFactory(needs_approval=True)
        author, other, moderator = MemberFactory(), MemberFactory(), MemberFactory(role_kind=RoleKind.MODERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(member_client(author), board)
    assert created.json()["status"] == "pending"
    post_id = created.json()["id"]
    assert member_client(other).get(f"{BASE}/posts/{post_id}").status_code == 404
    assert member_client(author).get(f"{BASE}/posts/{post_id}").status_code == 200
    queue = member_client(moderator).get(f"{BASE}/posts/", {"status": "pending"}).json()["results"]
    assert [row["id"] for row in queue] == [post_id]
    mine = member_client(author).get(f"{BASE}/posts/", {"status": "pending"}).json()["results"]
    assert [row["id"] for row in mine] == [post_id]
    assert member_client(other).get(f"{BASE}/posts/", {"status": "pending"}).json()["results"] == []
    assert member_client(moderator).get(f"{BASE}/posts/").json()["results"] == []  # lists show published
    with tenancy.tenant_context(tenant):
        assert Board.objects.get(pk=board.pk).post_count == 0
    assert member_client(author).post(f"{BASE}/posts/{post_id}/approve").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        approved = member_client(moderator).post(f"{BASE}/posts/{post_id}/approve")
    assert approved.json()["status"] == "published"
    with tenancy.tenant_context(tenant):
        assert Board.objects.get(pk=board.pk).post_count == 1
        assert Member.objects.get(pk=author.pk).post_count == 1
    assert [event for event, *_ in published_events] == ["community.post.created", "community.post.approved"]
    assert published_events[1][1]["entities"]["post"][0]["id"] == post_id
    assert member_client(moderator).post(f"{BASE}/posts/{post_id}/approve").status_code == 409


def test_hide_delete_and_restore_keep_counts_right(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, author, moderator = BoardFactory(), MemberFactory(), MemberFactory(role_kind=RoleKind.MODERATOR)
    post_id = _post(member_client(author), board).json()["id"]
    as_mod = member_client(moderator)

    def counts():
        with tenancy.tenant_context(tenant):
            return Board.objects.get(pk=board.pk).post_count, Member.objects.get(pk=author.pk).post_count

    assert counts() == (1, 1)
    assert as_mod.post(f"{BASE}/posts/{post_id}/hide").json()["status"] == "hidden"
    assert counts() == (0, 0)
    assert member_client(author).get(f"{BASE}/posts/{post_id}").status_code == 404
    assert as_mod.post(f"{BASE}/posts/{post_id}/approve").json()["status"] == "published"
    assert counts() == (1, 1)
    assert member_client(author).delete(f"{BASE}/posts/{post_id}").status_code == 204
    assert counts() == (0, 0)
    assert as_mod.get(f"{BASE}/posts/{post_id}").status_code == 404


def test_only_author_or_moderator_edits_and_history_keeps_old_text(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, author, other = BoardFactory(), MemberFactory(), MemberFactory()
    post_id = _post(member_client(author), board, content="<p>First draft</p>").json()["id"]
    assert member_client(other).patch(f"{BASE}/posts/{post_id}", {"content": "vandal"}).status_code == 403
    edited = member_client(author).patch(f"{BASE}/posts/{post_id}", {"content": "<p>Second</p>", "headline": "New"})
    assert edited.status_code == 200, edited.json()
    assert edited.json()["cleanText"] == "Second" and edited.json()["editedAt"] is not None
    history = member_client(author).get(f"{BASE}/posts/{post_id}/revisions").json()["results"]
    assert [(rev["headline"], rev["content"]) for rev in history] == [("Hi", "<p>First draft</p>")]
    with tenancy.tenant_context(tenant):
        assert Revision.objects.count() == 1


def test_pinned_posts_show_on_the_board(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, moderator = BoardFactory(), MemberFactory(role_kind=RoleKind.MODERATOR)
        post = PostFactory(board=board)
    as_mod = member_client(moderator)
    assert as_mod.post(f"{BASE}/posts/{post.pk}/pin").json()["isPinned"] is True
    assert as_mod.get(f"{BASE}/boards/{board.pk}").json()["pinnedPosts"] == [str(post.pk)]
    as_mod.post(f"{BASE}/posts/{post.pk}/unpin")
    assert as_mod.get(f"{BASE}/boards/{board.pk}").json()["pinnedPosts"] == []


def test_comments_and_replies_count_on_post_comment_and_author(tenant, member_client, published_events,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    with tenancy.tenant_context(tenant):
        post, member = PostFactory(), MemberFactory()
    client = member_client(member)
    with django_capture_on_commit_callbacks(execute=True):
        comment_id = client.post(f"{BASE}/posts/{post.pk}/comments/", {"content": "c"}).json()["id"]
        client.post(f"{BASE}/comments/{comment_id}/replies/", {"content": "r1"})
        reply_id = client.post(f"{BASE}/comments/{comment_id}/replies/", {"content": "r2"}).json()["id"]
    assert [event for event, *_ in published_events] == [
        "community.comment.created", "community.reply.created", "community.reply.created"
    ]  # fmt: skip
    assert client.get(f"{BASE}/comments/{comment_id}").json()["replyCount"] == 2
    assert client.delete(f"{BASE}/replies/{reply_id}").status_code == 204
    body = client.get(f"{BASE}/posts/{post.pk}").json()
    assert (body["commentCount"], body["replyCount"]) == (1, 1)
    with tenancy.tenant_context(tenant):
        member.refresh_from_db()
    assert (member.comment_count, member.reply_count) == (1, 1)
    assert client.patch(f"{BASE}/comments/{comment_id}", {"content": "<b>edited</b>"}).json()["cleanText"] == "edited"


def test_staff_key_posts_for_a_named_author(tenant, api_key_client_for):
    with tenancy.tenant_context(tenant):
        board, author = BoardFactory(), MemberFactory()
    backend = api_key_client_for(tenant)
    assert _post(backend, board).json()["error"]["details"] == {"author": [
        "Name the author (a member id) or act as a member."]}  # fmt: skip
    created = _post(backend, board, author=author.handle)
    assert created.status_code == 201
    assert created.json()["author"]["id"] == str(author.pk)
    assert _post(backend, board, author="nobody").status_code == 400


def test_member_cannot_write_as_another_member(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, alice, bob = BoardFactory(), MemberFactory(), MemberFactory()
    assert _post(member_client(alice), board, author=str(bob.pk)).status_code == 403


def test_key_with_member_header_acts_as_that_member(tenant, api_key_client_for):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
    backend = api_key_client_for(tenant)
    created = backend.post(f"{BASE}/posts/", {"boardId": str(board.pk), "headline": "h", "content": "c"},
                           HTTP_X_MEMBER_ID=member.handle)  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["author"]["id"] == str(member.pk)
    unknown = backend.get(f"{BASE}/posts/", HTTP_X_MEMBER_ID="nobody")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (401, "MEMBER_UNKNOWN")
    read_only = api_key_client_for(tenant, scopes=["read"])
    assert read_only.get(f"{BASE}/posts/", HTTP_X_MEMBER_ID=member.handle).status_code == 403


def test_cursor_pages_newest_first_and_by_activity(tenant, member_client, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
        posts = [PostFactory(board=board) for _ in range(7)]
        CommentFactory(post=posts[0])
        Post.objects.filter(pk=posts[0].pk).update(last_activity_at=timezone.now())
    client = member_client(member)
    seen, cursor = [], ""
    while True:
        with django_assert_max_num_queries(6):
            page = client.get(f"{BASE}/posts/", {"board": board.pk, "cursor": cursor, "pageSize": 3}).json()
        seen += [row["id"] for row in page["results"]]
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    assert seen == [str(post.pk) for post in reversed(posts)]
    by_activity = client.get(f"{BASE}/posts/", {"board": board.pk, "cursor": "", "sort": "activity"}).json()
    assert by_activity["results"][0]["id"] == str(posts[0].pk)
    mixed = client.get(f"{BASE}/posts/", {"cursor": page_cursor(client, board), "sort": "activity"})
    assert mixed.status_code == 400


def page_cursor(client, board) -> str:
    return client.get(f"{BASE}/posts/", {"board": board.pk, "cursor": "", "pageSize": 1}).json()["nextCursor"]


def test_post_list_query_count_does_not_grow_with_rows(tenant, member_client, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
        for _ in range(30):
            PostFactory(board=board)
    with django_assert_max_num_queries(7):
        response = member_client(member).get(f"{BASE}/posts/", {"pageSize": 30})
    assert len(response.json()["results"]) == 30


def test_comment_list_query_count_is_bounded(tenant, member_client, django_assert_max_num_queries):
    with tenancy.tenant_context(tenant):
        post, member = PostFactory(), MemberFactory()
        for _ in range(25):
            CommentFactory(post=post)
    with django_assert_max_num_queries(7):
        response = member_client(member).get(f"{BASE}/posts/{post.pk}/comments/", {"pageSize": 50})
    assert len(response.json()["results"]) == 25


def test_comments_on_a_pending_post_are_refused(tenant, member_client):
    with tenancy.tenant_context(tenant):
        author = MemberFactory()
        post = PostFactory(author=author, status=ContentStatus.PENDING)
    response = member_client(author).post(f"{BASE}/posts/{post.pk}/comments/", {"content": "c"})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "INVALID_STATE")


def test_moderator_hides_and_restores_a_comment_and_its_history_is_kept(tenant, member_client):
    with tenancy.tenant_context(tenant):
        post, author = PostFactory(), MemberFactory()
        moderator = MemberFactory(role_kind=RoleKind.MODERATOR)
    comment_id = member_client(author).post(f"{BASE}/posts/{post.pk}/comments/", {"content": "v1"}).json()["id"]
    member_client(author).patch(f"{BASE}/comments/{comment_id}", {"content": "v2"})
    history = member_client(author).get(f"{BASE}/comments/{comment_id}/revisions").json()["results"]
    assert [rev["content"] for rev in history] == ["v1"]
    as_mod = member_client(moderator)
    assert member_client(author).post(f"{BASE}/comments/{comment_id}/hide").status_code == 403
    hidden = as_mod.post(f"{BASE}/posts/{post.pk}/comments/{comment_id}/hide")
    assert hidden.json()["status"] == "hidden"
    assert member_client(author).get(f"{BASE}/comments/{comment_id}").status_code == 404
    assert as_mod.get(f"{BASE}/posts/{post.pk}").json()["commentCount"] == 0
    assert as_mod.post(f"{BASE}/comments/{comment_id}/approve").json()["status"] == "published"
    assert as_mod.get(f"{BASE}/posts/{post.pk}").json()["commentCount"] == 1


def test_headlines_lose_markup_but_keep_their_text(tenant, member_client):
    with tenancy.tenant_context(tenant):
        board, member = BoardFactory(), MemberFactory()
    client = member_client(member)
    created = _post(client, board, headline="<img src=x onerror=alert(1)>I <3 <b>hops</b> & malt")
    assert created.json()["headline"] == "I <3 hops & malt"
    assert _post(client, board, headline="<script>x</script>").status_code == 400


def test_moving_a_post_moves_its_count(tenant, member_client):
    with tenancy.tenant_context(tenant):
        first, second = BoardFactory(), BoardFactory()
        moderator = MemberFactory(role_kind=RoleKind.MODERATOR)
        post = PostFactory(board=first)
    moved = member_client(moderator).patch(f"{BASE}/posts/{post.pk}", {"boardId": str(second.pk)})
    assert moved.json()["boardId"] == str(second.pk)
    with tenancy.tenant_context(tenant):
        assert (Board.objects.get(pk=first.pk).post_count, Board.objects.get(pk=second.pk).post_count) == (0, 1)
