"""Counts stay exact under concurrent writers (PostgreSQL: real transactions, one connection per thread)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from community.models import Post, Reaction
from community.services import content, reactions
from community.tests.factories import MemberFactory, PostFactory, member_actor
from conftest import requires_postgres
from core import tenancy

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def _run_all(jobs) -> list[Exception]:
    errors: list[Exception] = []
    start = threading.Barrier(min(THREADS, len(jobs)))

    def run(job):
        try:
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            job()
        except Exception as exc:  # noqa: BLE001 - surfaced by the test
            errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, jobs))
    return errors


def test_a_storm_of_200_reactions_leaves_exact_counts(tenant):
    with tenancy.tenant_context(tenant):
        post = PostFactory()
        members = [MemberFactory() for _ in range(100)]
    actors = [member_actor(member) for member in members]

    def react(actor, slot):
        def job():
            with tenancy.acting_as(actor):
                reactions.add_reaction(Post.objects.get(pk=post.pk), actor=actor, slot=slot)

        return job

    # Every member reacts in s1 twice (the duplicate must not count) and in s2 once: 300 requests, 200 reactions.
    jobs = [react(actor, "s1") for actor in actors] * 2 + [react(actor, "s2") for actor in actors]
    assert _run_all(jobs) == []
    with tenancy.tenant_context(tenant):
        post.refresh_from_db()
        assert (post.react_count, post.s1_count, post.s2_count) == (200, 100, 100)
        assert Reaction.objects.count() == 200

    # And taking half of them back concurrently, twice each.
    jobs = [(lambda actor=actor: _remove(actor, post.pk)) for actor in actors[:50] for _ in range(2)]
    assert _run_all(jobs) == []
    with tenancy.tenant_context(tenant):
        post.refresh_from_db()
        assert (post.react_count, post.s1_count, post.s2_count) == (150, 50, 100)


def _remove(actor, post_id):
    with tenancy.acting_as(actor):
        reactions.remove_reaction(Post.objects.get(pk=post_id), actor=actor, slot="s1")


def test_concurrent_comments_leave_exact_counts(tenant):
    with tenancy.tenant_context(tenant):
        post = PostFactory()
        author = MemberFactory()
    actor = member_actor(author)

    def comment():
        with tenancy.acting_as(actor):
            content.create_comment(Post.objects.select_related("board").get(pk=post.pk), actor=actor, content="hi")

    assert _run_all([comment] * 64) == []
    with tenancy.tenant_context(tenant):
        post.refresh_from_db()
        author.refresh_from_db()
    assert (post.comment_count, author.comment_count) == (64, 64)
