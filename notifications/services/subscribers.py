"""Subscribers, their channel credentials and preferences, and topics.

Hubbub users become subscribers on first need (`subscriber_for_user`), keyed by their user id, so an app's notice
to a member's email lands in that member's own feed.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit
from core.auth import Principal
from notifications import selectors
from notifications.errors import SubscriberExists, TopicExists
from notifications.models import Preference, Subscriber, SubscriberCredential, Topic, TopicSubscription, Workflow

BULK_LIMIT = 500
SUBSCRIBER_FIELDS = ("email", "phone", "first_name", "last_name", "avatar", "locale", "data")


def create_subscriber(*, actor: Principal | None, subscriber_id: str, **fields: Any) -> Subscriber:
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(subscriber_id=subscriber_id, **fields)
    except IntegrityError:
        raise SubscriberExists(details={"subscriberId": [f"{subscriber_id!r} exists."]}) from None
    if actor is not None:
        audit.record("notifications.subscriber.create", subscriber, actor=actor)
    return subscriber


def bulk_create_subscribers(*, actor: Principal, items: list[dict[str, Any]]) -> dict[str, list]:
    """Create up to 500 subscribers; existing ids are updated. Per-item results: created, updated, failed."""
    result: dict[str, list] = {"created": [], "updated": [], "failed": []}
    existing = selectors.subscribers_by_id([item["subscriber_id"] for item in items])
    for item in items:
        subscriber_id = item["subscriber_id"]
        fields = {k: v for k, v in item.items() if k in SUBSCRIBER_FIELDS}
        try:
            with transaction.atomic():
                if subscriber_id in existing:
                    Subscriber.objects.filter(pk=existing[subscriber_id].pk).update(**fields, updated_at=timezone.now())
                    result["updated"].append({"subscriber_id": subscriber_id})
                else:
                    Subscriber.objects.create(subscriber_id=subscriber_id, **fields)
                    result["created"].append({"subscriber_id": subscriber_id})
        except IntegrityError as exc:
            result["failed"].append({"subscriber_id": subscriber_id, "message": str(exc)[:200]})
    audit.record(
        "notifications.subscriber.bulk",
        None,
        actor=actor,
        object_type="notifications.subscriber",
        changes={k: len(v) for k, v in result.items()},
    )
    return result


def update_subscriber(subscriber: Subscriber, *, actor: Principal, **changes: Any) -> Subscriber:
    if "is_online" in changes:
        changes["last_online_at"] = timezone.now()
    for name, value in changes.items():
        setattr(subscriber, name, value)
    subscriber.save()
    audit.record("notifications.subscriber.update", subscriber, actor=actor, changes={"fields": sorted(changes)})
    return subscriber


def delete_subscriber(subscriber: Subscriber, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("notifications.subscriber.delete", subscriber, actor=actor)
        subscriber.delete()


def set_credentials(
    subscriber: Subscriber, *, actor: Principal, provider_id: str, credentials: dict[str, Any]
) -> SubscriberCredential:
    """Replace the subscriber's credentials for one provider (device tokens, webhook URL, push subscriptions)."""
    with transaction.atomic():
        row, _ = SubscriberCredential.objects.select_for_update().get_or_create(
            subscriber=subscriber, provider_id=provider_id
        )
        row.credentials = credentials
        row.save()
        audit.record(
            "notifications.subscriber.credentials", subscriber, actor=actor, changes={"providerId": provider_id}
        )
    return row


def delete_credentials(subscriber: Subscriber, *, actor: Principal, provider_id: str) -> int:
    with transaction.atomic():
        deleted, _ = SubscriberCredential.objects.filter(subscriber=subscriber, provider_id=provider_id).delete()
        if deleted:
            audit.record(
                "notifications.subscriber.credentials_delete",
                subscriber,
                actor=actor,
                changes={"providerId": provider_id},
            )
    return deleted


def update_preference(
    subscriber: Subscriber, *, actor: Principal, channels: dict[str, bool], workflow: Workflow | None = None
) -> Preference:
    """Merge channel switches into the global (workflow None) or one workflow's preference."""
    with transaction.atomic():
        preference, _ = Preference.objects.select_for_update().get_or_create(subscriber=subscriber, workflow=workflow)
        preference.channels = {**preference.channels, **channels}
        preference.save()
    return preference


# --- Hubbub users and notice recipients ----------------------------------------------------------------------------
def subscriber_for_user(user) -> Subscriber:
    """The member's own subscriber (created on first need, keyed by user id, profile copied from the user)."""
    subscriber = Subscriber.objects.filter(user=user).first()
    if subscriber is not None:
        return subscriber
    try:
        with transaction.atomic():
            return Subscriber.objects.create(
                subscriber_id=str(user.pk),
                user=user,
                email=user.email,
                first_name=user.first_name,
                last_name=user.last_name,
            )
    except IntegrityError:  # a concurrent first use, or a tenant-made subscriber already took the user's id
        return Subscriber.objects.filter(subscriber_id=str(user.pk)).first() or Subscriber.objects.get(user=user)


def subscriber_for_email(email: str) -> Subscriber:
    """Whom a notice to `email` reaches: the existing subscriber with that address, the member with that email,
    or a new subscriber keyed by the address."""
    from tenants import selectors as tenant_selectors

    email = email.strip().lower()
    subscriber = Subscriber.objects.filter(email__iexact=email).order_by("created_at", "id").first()
    if subscriber is not None:
        return subscriber
    membership = tenant_selectors.members().filter(user__email__iexact=email, is_active=True).first()
    if membership is not None:
        return subscriber_for_user(membership.user)
    try:
        with transaction.atomic():
            return Subscriber.objects.create(subscriber_id=email, email=email)
    except IntegrityError:
        return Subscriber.objects.get(subscriber_id=email)


# --- topics --------------------------------------------------------------------------------------------------------
def create_topic(*, actor: Principal, key: str, name: str = "") -> Topic:
    try:
        with transaction.atomic():
            topic = Topic.objects.create(key=key, name=name)
            audit.record("notifications.topic.create", topic, actor=actor)
    except IntegrityError:
        raise TopicExists(details={"key": [f"{key!r} exists."]}) from None
    return topic


def update_topic(topic: Topic, *, actor: Principal, name: str) -> Topic:
    topic.name = name
    topic.save(update_fields=["name", "updated_at"])
    return topic


def delete_topic(topic: Topic, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("notifications.topic.delete", topic, actor=actor)
        topic.delete()


def add_topic_subscribers(topic: Topic, *, actor: Principal, subscribers: list[Subscriber]) -> int:
    """Add in bulk; members already in the topic are left as they are. Returns how many were added."""
    present = set(TopicSubscription.objects.filter(topic=topic).values_list("subscriber_id", flat=True))
    new = [
        TopicSubscription(topic=topic, subscriber=s, tenant_id=topic.tenant_id)
        for s in subscribers
        if s.pk not in present
    ]
    TopicSubscription.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def remove_topic_subscribers(topic: Topic, *, actor: Principal, subscribers: list[Subscriber]) -> int:
    deleted, _ = TopicSubscription.objects.filter(topic=topic, subscriber__in=subscribers).delete()
    return deleted
