"""Factories of the inbox: tickets and interactors of a tenant's channel, built in that tenant's context."""

from __future__ import annotations

import itertools

from core import tenancy
from inbox.models import Interactor, Ticket
from social.tests.factories import ChannelFactory

_seq = itertools.count(1)


def make_interactor(tenant, *, network: str = "sandbox", **fields) -> Interactor:
    n = next(_seq)
    values = {"network_user_id": f"user-{n}", "name": f"Person {n}", "handle": f"person{n}", **fields}
    with tenancy.tenant_context(tenant):
        return Interactor.objects.create(network=network, **values)


def make_ticket(tenant, *, channel=None, interactor=None, **fields) -> Ticket:
    n = next(_seq)
    channel = channel or ChannelFactory(tenant=tenant)
    if interactor is None and "interactor" not in fields:
        interactor = make_interactor(tenant, network=channel.network)
    values = {"type": "comment", "network_item_id": f"item-{n}", "text": f"Hello {n}", **fields}
    with tenancy.tenant_context(tenant):
        return Ticket.objects.create(channel=channel, network=channel.network, interactor=interactor, **values)
