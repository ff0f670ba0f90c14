"""Approval chains: ordered steps (any/all), edits restart the chain, expiry flag and reminders from the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from contentplanner.models import ApprovalRequest, PostState
from contentplanner.tasks import sweep_approvals
from contentplanner.tests.factories import ChannelFactory, PostFactory, feed_keys, reload, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/posts/"


@pytest.fixture
def chain(tenant, make_member, api_client_for):
    tenant.settings = {
        "approval_required": True,
        "approval_chain": [
            {"name": "Team lead", "roles": [Role.MANAGER], "policy": "any"},
            {"name": "Brand", "roles": [Role.APPROVER], "policy": "all"},
        ],
    }
    tenant.save(update_fields=["settings"])
    author = make_member(tenant, Role.EDITOR)
    lead = make_member(tenant, Role.MANAGER)
    brand_a, brand_b = make_member(tenant, Role.APPROVER), make_member(tenant, Role.APPROVER)
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, author, lead, brand_a, brand_b)
    post = PostFactory(channel=channel, author=author.user, publish_at=None)
    clients = {m: api_client_for(m) for m in (author, lead, brand_a, brand_b)}
    return {"post": post, "author": author, "lead": lead, "a": brand_a, "b": brand_b, "clients": clients}


def act(chain, who, action, **body):
    response = chain["clients"][chain[who]].post(f"{URL}{chain['post'].pk}/{action}", body, format="json")
    return response


def asked(tenant, post) -> dict[int, set]:
    with tenancy.tenant_context(tenant):
        rows = ApprovalRequest.objects.filter(post=post, round=reload(post).approval_round)
        result: dict[int, set] = {}
        for row in rows:
            result.setdefault(row.step, set()).add(row.approver_id)
        return result


def test_steps_run_in_order_with_their_policies(tenant, chain, django_capture_on_commit_callbacks):
    assert act(chain, "author", "submit").status_code == 200
    assert asked(tenant, chain["post"]) == {0: {chain["lead"].user_id}}
    # A step-2 approver cannot decide before their step.
    assert act(chain, "a", "approve").status_code == 403
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert act(chain, "lead", "approve").status_code == 200
    post = reload(chain["post"])
    assert post.state == PostState.NEEDS_APPROVAL and post.approval_step == 1
    assert asked(tenant, post)[1] == {chain["a"].user_id, chain["b"].user_id}
    assert sorted(to for m in mail.outbox for to in m.to) == sorted([chain["a"].user.email, chain["b"].user.email])
    assert "approvalStepCompleted" in feed_keys(post)
    assert act(chain, "a", "approve").status_code == 200
    assert reload(post).state == PostState.NEEDS_APPROVAL  # step 2 is `all`
    assert act(chain, "b", "approve").status_code == 200
    assert reload(post).state == PostState.APPROVED


def test_reject_at_a_later_step_rejects(chain):
    act(chain, "author", "submit")
    act(chain, "lead", "approve")
    assert act(chain, "a", "reject", comment="Off brand").status_code == 200
    assert reload(chain["post"]).state == PostState.REJECTED


def test_editing_restarts_the_chain_at_its_first_step(tenant, chain):
    act(chain, "author", "submit")
    act(chain, "lead", "approve")
    assert reload(chain["post"]).approval_step == 1
    edit = chain["clients"][chain["author"]].patch(f"{URL}{chain['post'].pk}", {"text": "v2"}, format="json")
    assert edit.status_code == 200, edit.json()
    post = reload(chain["post"])
    assert post.approval_step == 0 and post.state == PostState.NEEDS_APPROVAL
    assert asked(tenant, post) == {0: {chain["lead"].user_id}}
    assert act(chain, "a", "approve").status_code == 403  # the old step-2 request no longer counts
    assert "approvalRestarted" in feed_keys(post)


def test_sweep_flags_an_expired_wait_once_and_reminds_once(tenant, chain, django_capture_on_commit_callbacks):
    act(chain, "author", "submit")
    with tenancy.tenant_context(tenant):
        post = reload(chain["post"])
        post.publish_at = timezone.now() - timedelta(minutes=1)
        post.save(update_fields=["publish_at"])
        ApprovalRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_approvals() == {"expired": 1, "reminded": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_approvals() == {"expired": 0, "reminded": 0}  # a second beat tick does nothing
    post = reload(chain["post"])
    assert post.needs_attention and post.state == PostState.NEEDS_APPROVAL
    assert feed_keys(post).count("approvalExpired") == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([chain["lead"].user.email, chain["author"].user.email]), [
        (m.to, m.subject) for m in mail.outbox
    ]


def test_chain_setting_is_validated_through_the_tenant_settings_api(tenant, make_member, api_client_for):
    owner = api_client_for(make_member(tenant, Role.OWNER))
    bad = owner.patch("/api/v1/tenant", {"settings": {"approvalChain": [{"roles": ["NOPE"]}]}}, format="json")
    assert bad.status_code == 400
    chain = [{"name": "Lead", "roles": ["MANAGER"], "policy": "all"}]
    good = owner.patch("/api/v1/tenant", {"settings": {"approvalChain": chain}}, format="json")
    assert good.status_code == 200, good.json()
    assert good.json()["settings"]["approvalChain"] == chain
