"""Community factories: each creates its row inside the given tenant (`tenant=`), or the current one."""

from __future__ import annotations

import factory

from community.models import Board, Comment, ContentStatus, Member, Post, Reply, Role, RoleKind, Tag
from community.services.content import apply_published_delta
from community.services.settings import ensure_community
from core import tenancy


class TenantScopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, tenant=None, **kwargs):
        tenant = tenant or tenancy.require_current_tenant()
        with tenancy.tenant_context(tenant):
            cls._prepare_in_tenant(kwargs)
            return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _prepare_in_tenant(cls, kwargs: dict) -> None:
        """Fill defaults that need the tenant (its roles, a board)."""


class ContentFactory(TenantScopedFactory):
    """Published content counts where the services would count it, so later status changes add up."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        if obj.status == ContentStatus.PUBLISHED:
            with tenancy.tenant_context(obj.tenant):
                apply_published_delta(obj, +1)
        return obj


def role_of(kind: str) -> Role:
    ensure_community()
    return Role.objects.get(kind=kind)


class MemberFactory(TenantScopedFactory):
    class Meta:
        model = Member

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    username = factory.Sequence(lambda n: f"member_{n}")
    email = factory.Sequence(lambda n: f"member{n}@customers.example")
    sso_id = factory.Sequence(lambda n: f"sso-{n}")

    @classmethod
    def _prepare_in_tenant(cls, kwargs: dict) -> None:
        kind = kwargs.pop("role_kind", RoleKind.MEMBER)
        if "role" not in kwargs and "role_id" not in kwargs:
            kwargs["role"] = role_of(kind)


class BoardFactory(TenantScopedFactory):
    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Board {n}")
    display_order = factory.Sequence(lambda n: n)


class PostFactory(ContentFactory):
    class Meta:
        model = Post

    headline = factory.Sequence(lambda n: f"Post {n}")
    content = "<p>Hello</p>"
    clean_text = "Hello"
    short_text = "Hello"

    @classmethod
    def _prepare_in_tenant(cls, kwargs: dict) -> None:
        if "board" not in kwargs and "board_id" not in kwargs:
            kwargs["board"] = BoardFactory()
        if "author" not in kwargs and "author_id" not in kwargs:
            kwargs["author"] = MemberFactory()


class CommentFactory(ContentFactory):
    class Meta:
        model = Comment

    content = "<p>A comment</p>"
    clean_text = "A comment"
    short_text = "A comment"

    @classmethod
    def _prepare_in_tenant(cls, kwargs: dict) -> None:
        if "post" not in kwargs and "post_id" not in kwargs:
            kwargs["post"] = PostFactory()
        if "author" not in kwargs and "author_id" not in kwargs:
            kwargs["author"] = MemberFactory()


class ReplyFactory(ContentFactory):
    class Meta:
        model = Reply

    content = "<p>A reply</p>"
    clean_text = "A reply"
    short_text = "A reply"

    @classmethod
    def _prepare_in_tenant(cls, kwargs: dict) -> None:
        if "comment" not in kwargs and "comment_id" not in kwargs:
            kwargs["comment"] = CommentFactory()
        if "post" not in kwargs and "post_id" not in kwargs:
            kwargs["post"] = kwargs["comment"].post
        if "author" not in kwargs and "author_id" not in kwargs:
            kwargs["author"] = MemberFactory()


class TagFactory(TenantScopedFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")
    display_name = factory.LazyAttribute(lambda tag: tag.name.title())


def member_actor(member: Member):
    """The principal of `member` acting through a member token (for calling services directly)."""
    from community.access import member_principal
    from core.auth import Principal

    with tenancy.tenant_context(member.tenant):
        member = Member.objects.select_related("role", "tenant").get(pk=member.pk)
    return member_principal(Principal(tenant=member.tenant, permissions=frozenset(), kind="member"), member)
