"""What the generated route contract (`core/tests/test_route_contract.py`) needs for the community's routes.

Every object in a community path comes from `community/demo.py` (boards, members, threads with comments and
replies, a reported comment, tags), so no builder is needed; the path values below are the ones that are not a
viewset's own lookup. The lowest credential stays the default one, a VIEWER member acting without a community
member identity: it reads like a guest and may write nothing. What a member of the lowest community role may and may
not do is checked against member tokens in `test_isolation_and_permissions.py` and `test_visibility_matrix.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REACTION_SLOT = "s1"

PATH_VALUES: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("MemberViewSet", "handle"): lambda world: world.object_of("community.Member").handle,
    ("PostCommentViewSet", "post_pk"): lambda world: world.object_of("community.Comment").post_id,
    ("CommentReplyViewSet", "comment_pk"): lambda world: world.object_of("community.Reply").comment_id,
    **{
        (view, "slot"): (lambda world: REACTION_SLOT)
        for view in ("PostViewSet", "PostCommentViewSet", "CommentViewSet", "CommentReplyViewSet", "ReplyViewSet")
    },
}
