"""Saved reply templates through the API, from a fresh tenant: placeholders checked when saved, team templates seen
by the team and the admins only, and the `reply` action rendering a template for the acting agent."""

from __future__ import annotations

import pytest

from core import tenancy
from inbox.models import Template, TicketAction
from inbox.tests.factories import InteractorFactory, TicketFactory
from social.models import SandboxPublication
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory, TeamFactory, add_to_team
from tenants.roles import Role

URL = "/api/v1/inbox/templates/"
TICKETS = "/api/v1/inbox/tickets/"
TEXT = "Hi {{interactor.name}}, {{ agent.firstName }} here from {{channel.name}}."


def create(client, **payload):
    response = client.post(URL, {"name": "Hello", "text": TEXT, **payload}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_list_update_delete(owner_client, owner, tenant):
    created = create(owner_client)
    assert created["text"] == TEXT and created["teamId"] is None and created["createdById"] == str(owner.user.pk)
    assert [row["id"] for row in owner_client.get(URL).json()["results"]] == [created["id"]]
    patched = owner_client.patch(f"{URL}{created['id']}/", {"name": "Greeting"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Greeting"
    assert owner_client.delete(f"{URL}{created['id']}/").status_code == 204
    with tenancy.tenant_context(tenant):
        assert not Template.objects.exists()


def test_an_unknown_placeholder_is_400_on_create_and_update(owner_client, tenant):
    refused = owner_client.post(URL, {"name": "Bad", "text": "Hi {{interactor.nmae}}"}, format="json")
    assert refused.status_code == 400
    [message] = refused.json()["error"]["details"]["text"]
    assert "{{interactor.nmae}}" in message and "{{interactor.name}}" in message
    created = create(owner_client)
    refused = owner_client.patch(f"{URL}{created['id']}/", {"text": "{{ticket.secret}}"}, format="json")
    assert refused.status_code == 400
    with tenancy.tenant_context(tenant):
        assert Template.objects.get().text == TEXT


def test_team_templates_are_seen_by_the_team_and_admins_only(api_client_for, make_member, owner_client, tenant):
    support, sales = TeamFactory(tenant=tenant), TeamFactory(tenant=tenant)
    agent = make_member(tenant, Role.AGENT)
    add_to_team(support, agent)
    agent_client = api_client_for(agent)
    tenant_wide = create(owner_client, name="All")
    ours = create(owner_client, name="Support only", teamId=str(support.pk))
    theirs = create(owner_client, name="Sales only", teamId=str(sales.pk))
    seen = {row["id"] for row in agent_client.get(URL).json()["results"]}
    assert seen == {tenant_wide["id"], ours["id"]}
    assert agent_client.get(f"{URL}{theirs['id']}/").status_code == 404
    assert {row["id"] for row in owner_client.get(URL).json()["results"]} == {
        tenant_wide["id"],
        ours["id"],
        theirs["id"],
    }
    admin = api_client_for(make_member(tenant, Role.ADMIN))
    assert admin.get(f"{URL}{theirs['id']}/").status_code == 200


def test_agents_may_not_edit_templates_and_nothing_changes(api_client_for, make_member, owner_client, tenant):
    created = create(owner_client)
    agent = api_client_for(make_member(tenant, Role.AGENT))
    assert agent.post(URL, {"name": "Mine", "text": "Hi"}, format="json").status_code == 403
    assert agent.patch(f"{URL}{created['id']}/", {"name": "Changed"}, format="json").status_code == 403
    assert agent.delete(f"{URL}{created['id']}/").status_code == 403
    with tenancy.tenant_context(tenant):
        assert list(Template.objects.values_list("name", flat=True)) == ["Hello"]


def test_another_tenants_template_and_team_are_refused(owner_client, other_tenant, tenant):
    with tenancy.tenant_context(other_tenant):
        theirs = Template.objects.create(name="Theirs", text="Hi")
    their_team = TeamFactory(tenant=other_tenant)
    assert owner_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert owner_client.delete(f"{URL}{theirs.pk}/").status_code == 404
    refused = owner_client.post(URL, {"name": "X", "text": "Hi", "teamId": str(their_team.pk)}, format="json")
    assert refused.status_code == 400
    with tenancy.tenant_context(tenant):
        assert not Template.objects.exists()


@pytest.fixture
def comment(tenant):
    channel = ChannelFactory(tenant=tenant, external_id="sbx-tpl", name="Acme Shop")
    fan = InteractorFactory(tenant=tenant, name="Ada", handle="ada")
    remote_id = inject_inbound("sbx-tpl", kind="comment", text="Hello?", author_id="fan-1")
    return TicketFactory(tenant=tenant, channel=channel, interactor=fan, network_item_id=remote_id)


def test_reply_with_a_template_renders_its_placeholders_for_the_agent(
    api_client_for, make_member, owner_client, tenant, comment, django_capture_on_commit_callbacks
):
    template = create(owner_client)
    agent = make_member(tenant, Role.ADMIN, first_name="Bo")  # sees every channel
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(agent).post(
            f"{TICKETS}{comment.pk}/actions/reply", {"templateId": template["id"]}, format="json"
        )
    assert response.status_code == 202, response.json()
    sent = SandboxPublication.objects.get(kind="reply")
    assert sent.text == "Hi Ada, Bo here from Acme Shop."
    with tenancy.tenant_context(tenant):
        action = TicketAction.objects.get(ticket=comment)
    assert action.params["templateId"] == template["id"] and action.status == "done"


def test_reply_with_a_template_and_text_sends_the_text_as_written(
    owner_client, tenant, comment, django_capture_on_commit_callbacks
):
    template = create(owner_client)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"{TICKETS}{comment.pk}/actions/reply", {"templateId": template["id"], "text": "Edited"}, format="json"
        )
    assert response.status_code == 202
    assert SandboxPublication.objects.get(kind="reply").text == "Edited"


def test_reply_with_a_template_the_agent_cannot_see_is_400_and_sends_nothing(
    api_client_for, make_member, owner_client, tenant
):
    sales, support = TeamFactory(tenant=tenant), TeamFactory(tenant=tenant)
    hidden = create(owner_client, teamId=str(sales.pk))
    agent = make_member(tenant, Role.AGENT)
    add_to_team(support, agent)
    channel = ChannelFactory(tenant=tenant, external_id="sbx-support", teams=[support])
    remote_id = inject_inbound("sbx-support", kind="comment", text="Hello?", author_id="fan-2")
    ticket = TicketFactory(tenant=tenant, channel=channel, network_item_id=remote_id)
    response = api_client_for(agent).post(
        f"{TICKETS}{ticket.pk}/actions/reply", {"templateId": hidden["id"]}, format="json"
    )
    assert response.status_code == 400 and "templateId" in response.json()["error"]["details"]
    with tenancy.tenant_context(tenant):
        assert not TicketAction.objects.filter(ticket=ticket).exists()
    assert not SandboxPublication.objects.filter(kind="reply").exists()


def test_the_template_list_takes_a_bounded_number_of_queries(
    api_client_for, make_member, owner_client, tenant, django_assert_max_num_queries
):
    team = TeamFactory(tenant=tenant)
    agent = make_member(tenant, Role.AGENT)
    add_to_team(team, agent)
    for index in range(8):
        create(owner_client, name=f"T{index}", teamId=str(team.pk) if index % 2 else None)
    agent_client = api_client_for(agent)
    with django_assert_max_num_queries(8):
        response = agent_client.get(URL)
    assert len(response.json()["results"]) == 8
