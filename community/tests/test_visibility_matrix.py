"""The board visibility matrix over every community read route and the member write routes.

Actors: a guest (a read-only tenant key, no member), a member, a member of every board, a moderator, an admin.
Boards: visible to everyone, to logged-in members, to board members only, and a private board listed to everyone
whose content only its members read. What may not be read is a 404, exactly like another tenant's id.
"""

from __future__ import annotations

import pytest

from community.models import BoardMember, BoardVisibility, RoleKind
from community.tests.factories import BoardFactory, CommentFactory, MemberFactory, PostFactory, ReplyFactory
from core import tenancy

BASE = "/api/v1/community"
BOARDS = {
    "public": {"visibility": BoardVisibility.EVERYONE},
    "members": {"visibility": BoardVisibility.MEMBERS},
    "board_members": {"visibility": BoardVisibility.BOARD_MEMBERS},
    "private": {"visibility": BoardVisibility.EVERYONE, "is_private": True},
}
# (board listed, board content readable) per actor and board.
SEES = {
    "guest": {"public": (1, 1), "members": (0, 0), "board_members": (0, 0), "private": (1, 0)},
    "member": {"public": (1, 1), "members": (1, 1), "board_members": (0, 0), "private": (1, 0)},
    "board_member": {"public": (1, 1), "members": (1, 1), "board_members": (1, 1), "private": (1, 1)},
    "moderator": {"public": (1, 1), "members": (1, 1), "board_members": (1, 1), "private": (1, 1)},
    "admin": {"public": (1, 1), "members": (1, 1), "board_members": (1, 1), "private": (1, 1)},
}


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def _listed_or_404(response, row, readable) -> bool:
    """A list under a parent the caller may not read is a 404; otherwise the row is in it."""
    if not readable:
        return response.status_code == 404
    return str(row.pk) in _ids(response)


@pytest.mark.parametrize("board_kind", list(BOARDS))
@pytest.mark.parametrize("actor", list(SEES))
def test_visibility_matrix(tenant, api_key_client_for, member_client, actor, board_kind):
    with tenancy.tenant_context(tenant):
        board = BoardFactory(**BOARDS[board_kind])
        post = PostFactory(board=board)
        comment = CommentFactory(post=post)
        reply = ReplyFactory(comment=comment)
        member = None
        if actor != "guest":
            kind = {"moderator": RoleKind.MODERATOR, "admin": RoleKind.ADMIN}.get(actor, RoleKind.MEMBER)
            member = MemberFactory(role_kind=kind)
            if actor == "board_member":
                BoardMember.objects.create(board=board, member=member)
    client = api_key_client_for(tenant, scopes=["read"]) if member is None else member_client(member)
    listed, readable = SEES[actor][board_kind]
    ok = {True: 200, False: 404}

    observed = {
        "board detail": client.get(f"{BASE}/boards/{board.pk}").status_code == ok[bool(listed)],
        "board list": (str(board.pk) in _ids(client.get(f"{BASE}/boards/"))) == bool(listed),
        "post list": (str(post.pk) in _ids(client.get(f"{BASE}/posts/", {"board": board.pk}))) == bool(readable),
        "post cursor list": (str(post.pk) in _ids(client.get(f"{BASE}/posts/", {"cursor": ""}))) == bool(readable),
        "post detail": client.get(f"{BASE}/posts/{post.pk}").status_code == ok[bool(readable)],
        "post revisions": client.get(f"{BASE}/posts/{post.pk}/revisions").status_code == ok[bool(readable)],
        "comment list": _listed_or_404(client.get(f"{BASE}/posts/{post.pk}/comments/"), comment, readable),
        "comment detail": client.get(f"{BASE}/comments/{comment.pk}").status_code == ok[bool(readable)],
        "nested comment detail": client.get(f"{BASE}/posts/{post.pk}/comments/{comment.pk}").status_code
        == ok[bool(readable)],
        "reply list": _listed_or_404(client.get(f"{BASE}/comments/{comment.pk}/replies/"), reply, readable),
        "reply detail": client.get(f"{BASE}/replies/{reply.pk}").status_code == ok[bool(readable)],
    }
    if member is not None:
        writes = {True: (200, 201), False: (403, 404)}
        observed.update(
            {
                "react on post": client.put(f"{BASE}/posts/{post.pk}/reactions/s1").status_code
                in writes[bool(readable)],
                "react on comment": client.put(f"{BASE}/comments/{comment.pk}/reactions/s1").status_code
                in writes[bool(readable)],
                "react on reply": client.put(f"{BASE}/replies/{reply.pk}/reactions/s1").status_code
                in writes[bool(readable)],
                "comment": client.post(f"{BASE}/posts/{post.pk}/comments/", {"content": "hi"}).status_code
                in writes[bool(readable)],
                "reply": client.post(f"{BASE}/comments/{comment.pk}/replies/", {"content": "hi"}).status_code
                in writes[bool(readable)],
                "post": client.post(
                    f"{BASE}/posts/", {"boardId": str(board.pk), "headline": "h", "content": "c"}
                ).status_code
                in writes[bool(readable)],
            }
        )
    assert [route for route, as_expected in observed.items() if not as_expected] == []
