"""factory_boy factories of the inbox: interactors and tickets, built in their tenant's context.

TicketFactory(tenant=tenant)                                 # a comment on a new sandbox channel, by a new person
TicketFactory(tenant=tenant, channel=channel, type="message")  # on an existing channel
InteractorFactory(tenant=tenant, network="youtube", name="Ann")
"""

from __future__ import annotations

import factory

from inbox.models import Interactor, Ticket
from social.tests.factories import ChannelFactory
from tenants.tests.factories import TenantScopedFactory


class InteractorFactory(TenantScopedFactory):
    class Meta:
        model = Interactor

    network = "sandbox"
    network_user_id = factory.Sequence(lambda n: f"user-{n}")
    name = factory.Sequence(lambda n: f"Person {n}")
    handle = factory.Sequence(lambda n: f"person{n}")


class TicketFactory(TenantScopedFactory):
    class Meta:
        model = Ticket

    channel = factory.SubFactory(ChannelFactory, tenant=factory.SelfAttribute("..tenant"))
    network = factory.SelfAttribute("channel.network")
    interactor = factory.SubFactory(
        InteractorFactory, tenant=factory.SelfAttribute("..tenant"), network=factory.SelfAttribute("..channel.network")
    )
    type = "comment"
    network_item_id = factory.Sequence(lambda n: f"item-{n}")
    text = factory.Sequence(lambda n: f"Hello {n}")
