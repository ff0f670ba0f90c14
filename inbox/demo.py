"""Demo data of the inbox (called by `manage.py seed_demo`) and sandbox bursts (`manage.py inbox_burst`, the
cursor admin's action): people write to sandbox channels, ingestion turns it into tickets."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

from core import tenancy
from inbox.models import Alert, AlertKind, Category, Interactor, Rule, Ticket, TicketStatus
from inbox.services import actions, alerts, business_hours, categories, folders, polling, rules, templates
from social.services.listening import inject_inbound
from tenants.models import Tenant, User
from tenants.roles import member_principal
from tenants.selectors import members

BURST_KINDS = ("comment", "comment", "reply", "message", "mention")
DEMO_TEXTS = (
    "Where is my order #{n}? It has been a week.",
    "Love the new collection!",
    "Do you ship to Canada?",
    "Your support never answers, very disappointed.",
    "Can I change my delivery address?",
)
PEOPLE = ("Ada Fan", "Bo Buyer", "Cy Critic", "Di Devotee", "Ed Enquirer")
# A care team's tree, as its CSV import would give it (path rows, parents created on the way).
DEMO_CATEGORIES = (
    "Sales/Leads",
    "Sales/Pricing questions",
    "Support/Orders/Where is my order",
    "Support/Orders/Returns",
    "Support/Shipping",
    "Support/Complaints",
    "Praise",
    "Spam",
)
DEMO_TEMPLATES = (
    ("Thanks", "Thanks a lot {{interactor.name}}! -- {{agent.firstName}} from {{channel.name}}"),
    (
        "Order status",
        "Hi {{interactor.name}}, sorry for the wait. Could you send us your order number in a private message? "
        "{{agent.firstName}}",
    ),
    ("Shipping countries", "Hi {{interactor.name}}, we ship to the EU, the UK, the US and Canada."),
)
DEMO_FOLDERS = (
    ("Unassigned negative", {"status": ["open"], "assignee": "none", "sentiment": ["NEGATIVE"]}),
    ("Priority", {"status": ["open"], "priority": True}),
    ("Direct messages", {"status": ["open"], "type": ["message"]}),
)


def burst(channel, *, count: int, text: str = "") -> list[str]:
    """Make `count` people write to a sandbox `channel` (comments, replies to them, DMs, mentions, in turn).
    `text` sets the message of every item. Returns the sandbox item ids; the next poll ingests them."""
    if channel.network != "sandbox":
        raise ValueError("Bursts exist only on sandbox channels.")
    ids: list[str] = []
    last_comment = ""
    stamp = timezone.now().strftime("%H%M%S")
    for n, kind in zip(range(count), itertools.cycle(BURST_KINDS), strict=False):
        person = PEOPLE[n % len(PEOPLE)]
        message = text or DEMO_TEXTS[n % len(DEMO_TEXTS)].format(n=n + 1)
        author = f"sbx-person-{n % len(PEOPLE)}"
        if kind == "reply" and last_comment:
            ids.append(
                inject_inbound(
                    channel.external_id,
                    kind="comment",
                    text=message,
                    author_id=author,
                    author_name=person,
                    parent_remote_id=last_comment,
                )
            )
            continue
        inbound_kind = "comment" if kind == "reply" else kind
        parent = f"{channel.external_id}-post-{stamp}" if inbound_kind == "comment" else ""
        remote_id = inject_inbound(
            channel.external_id,
            kind=inbound_kind,
            text=message,
            author_id=author,
            author_name=person,
            parent_remote_id=parent,
        )
        if inbound_kind == "comment":
            last_comment = remote_id
        ids.append(remote_id)
    return ids


def poll_now(channel) -> int:
    """Poll every kind of `channel` at once (current tenant). Returns tickets created."""
    return sum(polling.poll(cursor.pk) for cursor in polling.ensure_cursors(channel))


# Words the burst texts (DEMO_TEXTS) use, so the demo rules fire on every sandbox burst.
DEMO_KEYWORDS = {
    "Complaints": ["disappointed", "never answers", "terrible", "refund", "broken", "déçu", "разочарован"],
    "Orders and delivery": ["order", "delivery", "delivery address", "ship", "shipping", "tracking", "parcel"],
    "Praise": ["love", "great", "thank you", "merci", "спасибо", "ありがとう"],
    "Spam": ["free followers", "crypto giveaway", "click here"],
}
VIP = ("sbx-person-3", "Di Devotee")  # one of PEOPLE: the demo's VIP


def seed_rules(principal, channels) -> None:
    """Keyword lists, a VIP list and rules that fire on the sandbox bursts (complaints flagged, orders assigned,
    praise liked, VIPs prioritised; spam archived and hidden when a burst is told to send it)."""
    lists = {
        name: rules.create_keyword_list(actor=principal, name=name, keywords=words)
        for name, words in DEMO_KEYWORDS.items()
    }
    vip, _ = Interactor.objects.get_or_create(network="sandbox", network_user_id=VIP[0], defaults={"name": VIP[1]})
    vips = rules.create_interactor_list(actor=principal, name="VIPs")
    rules.add_to_interactor_list(vips, actor=principal, entries=[(channel, vip) for channel in channels])

    def keyword(name: str) -> dict:
        return {"message_has_keyword": str(lists[name].pk)}

    plan = [
        ("Spam: archive and hide", keyword("Spam"), [{"type": "archive"}, {"type": "hide"}]),
        (
            "Complaints: negative, priority",
            keyword("Complaints"),
            [{"type": "setSentiment", "value": "NEGATIVE"}, {"type": "markAsPriority"}],
        ),
        (
            "Order questions to the owner",
            {**keyword("Orders and delivery"), "type": ["comment", "reply", "message"]},
            [{"type": "assign", "user_id": str(principal.user.pk)}],
        ),
        ("Praise: like it", {**keyword("Praise"), "type": ["comment", "reply"]}, [{"type": "like"}]),
        ("VIPs first", {"interactor_in_list": str(vips.pk)}, [{"type": "markAsPriority"}]),
    ]
    for name, conditions, steps in plan:
        rules.create_rule(actor=principal, name=name, conditions=conditions, actions=steps)


def seed_demo(*, tenant: Tenant, owner: User) -> int:
    """Idempotent: the demo tenant's sandbox channels get one burst the first time, ingested at once, and tickets in
    every state (open, unread, priority, snoozed, archived, assigned, replied), after the demo rules ran on them.
    Returns tickets created."""
    from social.selectors import inbox_channels

    created = 0
    with tenancy.tenant_context(tenant):
        # The demo's actions are the owner's own, as if they had triaged in the app.
        principal = member_principal(members().get(user=owner))
        seed_organisation(principal)
        channels = list(inbox_channels().filter(network="sandbox"))
        if not channels or Ticket.objects.filter(channel__in=channels).exists():
            return 0
        if not Rule.objects.exists():
            seed_rules(principal, channels)
        for channel in channels:
            burst(channel, count=15)
            created += poll_now(channel)
        tickets = list(Ticket.objects.filter(is_own=False, status=TicketStatus.OPEN).order_by("created_at")[:12])
        plan = [
            ("archive", {}),
            ("priority", {}),
            ("sentiment", {"value": "NEGATIVE"}),
            ("snooze", {"until": timezone.now() + timedelta(days=1)}),
            ("assign", {"user": owner}),
            ("markRead", {}),
            ("reply", {"text": "Thanks for writing, we are on it!"}),
        ]
        for ticket, (name, params) in zip(tickets, plan, strict=False):
            performed = actions.perform_action(ticket, name, actor=principal, params=params)
            if name == "reply":
                actions.execute_action(performed.pk)  # the demo has no worker running yet
        leaves = list(Category.objects.filter(children__isnull=True).order_by("name"))
        for ticket, category in zip(tickets, itertools.cycle(leaves), strict=False):
            categories.set_categories(ticket, [category], actor=principal)
        seed_business_hours_and_alerts(principal, channels, owner)
    return created


def seed_organisation(principal) -> None:
    """The category tree, saved replies and shared folders of the demo tenant (once; current tenant)."""
    if Category.objects.exists():
        return
    categories.import_categories("\n".join(DEMO_CATEGORIES).encode(), actor=principal)
    for name, text in DEMO_TEMPLATES:
        templates.create_template(actor=principal, name=name, text=text)
    for name, filters in DEMO_FOLDERS:
        folders.create_folder(actor=principal, name=name, filters=filters)


DEMO_PERIODS = [
    {"day": day, "start": start, "end": end}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    for start, end in (("09:00", "12:30"), ("13:30", "18:00"))
] + [{"day": "saturday", "start": "10:00", "end": "14:00"}]


def seed_business_hours_and_alerts(principal, channels, owner: User) -> None:
    """Office hours in Berlin (with the year-end holidays and an auto-reply) on the demo channels, and two alerts
    mailed to the owner. Seeded after the first burst, so the demo's own tickets get no auto-reply."""
    year = timezone.now().year
    document = business_hours.normalise_hours(
        timezone="Europe/Berlin",
        periods=DEMO_PERIODS,
        holidays=[
            {"date": date(year, 12, 25), "name": "Christmas Day"},
            {"date": date(year, 12, 26), "name": "Boxing Day"},
            {"date": date(year + 1, 1, 1), "name": "New Year's Day"},
        ],
        auto_reply_enabled=True,
        auto_reply_text="Hi {{interactor.name}}, thanks for writing to {{channel.name}}! We answer on weekdays "
        "9:00-18:00 (Berlin time) and will get back to you then.",
    )
    for channel in channels:
        business_hours.set_business_hours(channel, actor=principal, document=document)
    recipients = [str(owner.pk)]
    for values in (
        {"name": "Negative burst", "kind": AlertKind.VOLUME_BURST, "threshold_count": 5, "window_minutes": 15},
        {"name": "Priority waiting 30 minutes", "kind": AlertKind.UNANSWERED_PRIORITY, "unanswered_minutes": 30},
    ):
        if not Alert.objects.filter(name=values["name"]).exists():
            alerts.create_alert(
                actor=principal,
                values={
                    **values,
                    "is_negative_only": values["kind"] == AlertKind.VOLUME_BURST,
                    "recipient_user_ids": recipients,
                },
            )
