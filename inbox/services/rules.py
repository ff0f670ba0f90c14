"""Smart rules: conditions on a new ticket, actions in order; keyword lists and interactor lists they read.

Running (`apply_rules`, called once by ingestion for the tickets a batch created, inside its transaction):
- every active rule whose conditions all hold runs, by position (weight), once per ticket: the (ticket, rule) pairs
  are claimed first by inserting `RuleApplication` rows that skip pairs already there (unique key), and only the
  pairs this call inserted run (a second ingestion of the same items, or a retried batch, applies nothing twice);
- conditions are evaluated in memory against rules, keyword matchers and list entries loaded once per batch; a
  `setSentiment` of an earlier rule is seen by a later rule's `sentiment` condition;
- local actions (archive with reason `rule`, priority, sentiment, assignment, categories) are written with one
  UPDATE per distinct change; network actions (hide, delete, like, reply with a template) and forwarding go through
  `inbox.services.actions.perform_action` (a pending `TicketAction`, sent by its task after commit, exactly once);
- an action whose target is gone (deleted template or category, departed assignee, removed team) or that the
  network or ticket type does not support is skipped with its reason, logged and written in the ticket's history:
  the ticket is created anyway. Each application is one `TicketEvent` of kind `rule`.
Our own items (`is_own`) are not subject to rules.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from core import audit, tenancy
from core.auth import Principal
from core.db import bulk
from core.errors import DomainError, ValidationFailed
from inbox.errors import ListInUse, ListNameTaken
from inbox.models import (
    ArchiveReason,
    Category,
    Interactor,
    InteractorList,
    InteractorListEntry,
    KeywordList,
    Rule,
    RuleApplication,
    Template,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketStatus,
)
from inbox.services import actions as action_services
from inbox.services import keyword_matching
from inbox.services.assignment import route_to_team
from inbox.services.templates import render_template

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Evaluated in this order: the cheap checks first, the keyword search last.
CONDITION_KEYS = (
    "type",
    "channel",
    "network",
    "sentiment",
    "interactor_in_list",
    "message_has_mention",
    "message_consists_of_mentions",
    "message_has_keyword",
)
ACTION_TYPES = (
    "archive",
    "markAsPriority",
    "assign",
    "hide",
    "delete",
    "forwardByMail",
    "like",
    "categorize",
    "setSentiment",
    "reply",
)
NETWORK_ACTIONS = ("hide", "delete", "like")
MAX_KEYWORDS = 5000
RULE_LABEL = "rule"
# An @handle: "@" not glued to a word before it (so e-mail addresses are not mentions).
MENTION = re.compile(r"(?<![\w@])@[\w.]+")
WORD = re.compile(r"\w")


def rule_principal(tenant) -> Principal:
    """Who a rule's actions are recorded as (no user; label "rule")."""
    return Principal(tenant=tenant, permissions=frozenset(), kind=RULE_LABEL)


# --- conditions ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConditionResult:
    condition: str
    matched: bool
    detail: str
    keyword: str | None = None


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    checks: tuple[Callable[[Ticket, str], bool], ...]  # every condition but the keyword list, cheap first
    keyword_list: str | None


@dataclass
class RuleContext:
    """What evaluating rules on a batch needs, loaded and compiled once."""

    rules: list[Rule]
    matchers: dict[str, keyword_matching.KeywordMatcher] = field(default_factory=dict)
    listed: set[tuple[str, str, str]] = field(default_factory=set)  # (interactor list, channel, interactor) ids
    keywords: keyword_matching.KeywordIndex | None = None
    compiled: list[_CompiledRule] = field(default_factory=list)


def active_rules() -> QuerySet[Rule]:
    return Rule.objects.filter(is_active=True).order_by("position", "created_at", "id")


def load_context(rules: list[Rule], tickets: Sequence[Ticket]) -> RuleContext:
    context = RuleContext(rules=rules)
    keyword_list_ids = {r.conditions["message_has_keyword"] for r in rules if r.conditions.get("message_has_keyword")}
    if keyword_list_ids:
        # Versions first: a list's words are read only when this process has not compiled that version yet.
        stale = {}
        for pk, version in KeywordList.objects.filter(pk__in=keyword_list_ids).values_list("id", "updated_at"):
            matcher = keyword_matching.cached_matcher(pk, version)
            if matcher is None:
                stale[pk] = version
            else:
                context.matchers[str(pk)] = matcher
        if stale:
            for pk, words in KeywordList.objects.filter(pk__in=stale).values_list("id", "keywords"):
                context.matchers[str(pk)] = keyword_matching.matcher_for(pk, stale[pk], words)
    context.keywords = keyword_matching.index_for(context.matchers)
    list_ids = {r.conditions["interactor_in_list"] for r in rules if r.conditions.get("interactor_in_list")}
    interactor_ids = {t.interactor_id for t in tickets if t.interactor_id}
    if list_ids and interactor_ids:
        entries = InteractorListEntry.objects.filter(
            interactor_list_id__in=list_ids,
            interactor_id__in=interactor_ids,
            channel_id__in={t.channel_id for t in tickets},
        ).values_list("interactor_list_id", "channel_id", "interactor_id")
        context.listed = {(str(a), str(b), str(c)) for a, b, c in entries}
    for rule in rules:
        checks = tuple(
            _check(key, rule.conditions[key], context)
            for key in CONDITION_KEYS
            if key in rule.conditions and key != "message_has_keyword"
        )
        keyword_list = rule.conditions.get("message_has_keyword")
        context.compiled.append(_CompiledRule(rule, checks, str(keyword_list) if keyword_list else None))
    return context


def matching_rules(ticket: Ticket, context: RuleContext) -> list[Rule]:
    """The rules whose conditions all hold on `ticket`, in order; a `setSentiment` of an earlier one is seen by a
    later one's `sentiment` condition. The text is prepared once, and a keyword list is searched only when the
    index says it can match and the rule's other conditions hold."""
    text = None
    candidates: set[str] = set()
    found: dict[str, str | None] = {}
    sentiment = ticket.sentiment
    matched = []
    for compiled in context.compiled:
        list_id = compiled.keyword_list
        if list_id is not None:
            if text is None:
                text = keyword_matching.prepare(ticket.text or "")
                candidates = context.keywords.candidates(text)
            if list_id not in candidates:
                continue
        if not all(check(ticket, sentiment) for check in compiled.checks):
            continue
        if list_id is not None:
            if list_id not in found:
                found[list_id] = context.matchers[list_id].first_match(text)
            if found[list_id] is None:
                continue
        matched.append(compiled.rule)
        sentiment = _sentiment_after(compiled.rule, sentiment)
    return matched


def explain(rule: Rule, ticket: Ticket, context: RuleContext) -> list[ConditionResult]:
    """Each condition of `rule` on `ticket`, matched or not, and why (the dry run)."""
    text = keyword_matching.prepare(ticket.text or "")
    results = []
    for key in CONDITION_KEYS:
        if key not in rule.conditions:
            continue
        expected, keyword = rule.conditions[key], None
        if key == "message_has_keyword":
            matcher = context.matchers.get(str(expected))
            keyword = matcher.first_match(text) if matcher is not None else None
            matched = keyword is not None
        else:
            matched = _check(key, expected, context)(ticket, ticket.sentiment)
        results.append(ConditionResult(_camel(key), matched, _detail(key, matched, keyword, ticket), keyword))
    return results


def _check(key: str, expected: Any, context: RuleContext) -> Callable[[Ticket, str], bool]:
    """The test of one condition other than the keyword list, on a ticket and its sentiment as the rules before
    left it."""
    if key == "message_has_mention":
        return lambda ticket, sentiment: (MENTION.search(ticket.text or "") is not None) == expected
    if key == "message_consists_of_mentions":
        return lambda ticket, sentiment: _only_mentions(ticket) == expected
    if key == "type":
        return lambda ticket, sentiment: ticket.type in expected
    if key == "channel":
        return lambda ticket, sentiment: str(ticket.channel_id) in expected
    if key == "network":
        return lambda ticket, sentiment: ticket.network in expected
    if key == "interactor_in_list":
        listed = context.listed
        return lambda ticket, sentiment: (str(expected), str(ticket.channel_id), str(ticket.interactor_id)) in listed
    return lambda ticket, sentiment: sentiment == expected


def _detail(key: str, matched: bool, keyword: str | None, ticket: Ticket) -> str:
    if key == "message_has_keyword":
        return f"The message contains {keyword!r}." if matched else "No keyword of the list in the message."
    if key == "message_has_mention":
        has = MENTION.search(ticket.text or "") is not None
        return "The message mentions someone." if has else "No mention."
    if key == "message_consists_of_mentions":
        return "The message is only mentions." if _only_mentions(ticket) else "The message is not only mentions."
    if key == "interactor_in_list":
        return "The author is in the list for this channel." if matched else "The author is not in the list."
    if key == "sentiment":
        return f"Sentiment is {ticket.sentiment or 'not set'}."
    value = {"type": ticket.type, "channel": ticket.channel_id, "network": ticket.network}[key]
    return f"{_camel(key)[0].upper()}{_camel(key)[1:]} is {value}."


def _only_mentions(ticket: Ticket) -> bool:
    raw = ticket.text or ""
    return MENTION.search(raw) is not None and WORD.search(MENTION.sub("", raw)) is None


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


# --- running -------------------------------------------------------------------------------------------------------
@dataclass
class _Refs:
    """Rows the matched actions name, loaded once per batch; a missing one means "gone since the rule was saved"."""

    templates: dict[str, Template]
    users: dict[str, Any]  # active members' users
    teams: dict[str, Any]
    categories: dict[str, Category]


def apply_rules(tickets: Sequence[Ticket]) -> int:
    """Run the active rules on tickets just created (current tenant, inside the ingestion transaction). Returns how
    many (ticket, rule) applications were made; a pair already applied is never applied again."""
    tickets = [t for t in tickets if not t.is_own]
    if not tickets:
        return 0
    rules = list(active_rules())
    if not rules:
        return 0
    context = load_context(rules, tickets)
    planned = [(ticket, rule) for ticket in tickets for rule in matching_rules(ticket, context)]
    if not planned:
        return 0
    claimed = _claim(planned)
    runs = [(ticket, rule) for ticket, rule in planned if (ticket.pk, rule.pk) in claimed]
    if runs:
        _run(runs, _load_refs([rule for _, rule in runs]))
    return len(runs)


def _claim(pairs: list[tuple[Ticket, Rule]]) -> set[tuple]:
    """Insert a RuleApplication per pair; a pair already there is left alone. Returns the (ticket id, rule id)
    pairs this call inserted."""
    rows = [{"ticket_id": t.pk, "rule_id": r.pk} for t, r in pairs]
    return set(
        bulk.insert_rows(RuleApplication, rows, skip_conflicts_on=("ticket", "rule"), returning=("ticket", "rule"))
    )


def _sentiment_after(rule: Rule, sentiment: str) -> str:
    for spec in rule.actions:
        if spec.get("type") == "setSentiment":
            sentiment = spec.get("value") or ""
    return sentiment


def _load_refs(rules: list[Rule]) -> _Refs:
    from tenants.selectors import active_members, teams

    wanted: dict[str, set[str]] = defaultdict(set)
    for rule in {r.pk: r for r in rules}.values():
        for spec in rule.actions:
            kind = spec.get("type")
            if kind == "reply":
                wanted["templates"].add(spec["template_id"])
            elif kind == "assign" and spec.get("user_id"):
                wanted["users"].add(spec["user_id"])
            elif kind == "assign" and spec.get("team_id"):
                wanted["teams"].add(spec["team_id"])
            elif kind == "categorize":
                wanted["categories"].update(spec.get("category_ids", []))

    def by_id(queryset, ids):
        return {str(row.pk): row for row in queryset.filter(pk__in=ids)} if ids else {}

    members = active_members().filter(user_id__in=wanted["users"]) if wanted["users"] else []
    return _Refs(
        templates=by_id(Template.objects.all(), wanted["templates"]),
        users={str(m.user_id): m.user for m in members},
        teams=by_id(teams(), wanted["teams"]),
        categories=by_id(Category.objects.all(), wanted["categories"]),
    )


def _run(runs: list[tuple[Ticket, Rule]], refs: _Refs) -> None:
    """The actions of every claimed (ticket, rule) pair, then their writes set-wise: one UPDATE of the tickets, one
    INSERT of category links and one of history events, whatever the batch's size."""
    now = timezone.now()
    changes: dict[Ticket, dict[str, Any]] = defaultdict(dict)
    routed: dict[Ticket, Any] = {}  # ticket -> team it ends up routed to (a later user assignment cancels it)
    categories: list[dict] = []
    events: list[dict] = []
    principal = rule_principal(tenancy.require_current_tenant())
    for ticket, rule in runs:
        applied: list[str] = []
        skipped: list[dict[str, str]] = []
        for spec in rule.actions:
            kind = spec["type"]
            try:
                _apply_action(kind, spec, ticket, now, refs, changes[ticket], routed, categories, principal)
            except _Skip as skip:
                skipped.append({"action": kind, "reason": skip.reason})
                logger.warning(
                    "rule action skipped",
                    extra={
                        "rule_id": str(rule.pk),
                        "ticket_id": str(ticket.pk),
                        "tenant_id": str(ticket.tenant_id),
                        "action": kind,
                        "reason": skip.reason,
                    },
                )
            else:
                applied.append(kind)
        events.append(
            {
                "ticket_id": ticket.pk,
                "kind": "rule",
                "actor_label": RULE_LABEL,
                "data": {"ruleId": str(rule.pk), "ruleName": rule.name, "applied": applied, "skipped": skipped},
                # One microsecond apart: the history lists a ticket's rules in the order they ran.
                "created_at": now + timedelta(microseconds=len(events)),
            }
        )
    bulk.update_rows(Ticket, {ticket.pk: change for ticket, change in changes.items()})
    by_team: dict[Any, list[Ticket]] = defaultdict(list)
    for ticket, team in routed.items():
        by_team[team].append(ticket)
    for team, members in by_team.items():
        route_to_team(members, team=team)
    bulk.insert_rows(TicketCategory, categories, skip_conflicts_on=("ticket", "category"))
    bulk.insert_rows(TicketEvent, events)


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _apply_action(kind, spec, ticket, now, refs: _Refs, change: dict, routed: dict, categories: list, principal):
    if kind == "archive":
        change.update(status=TicketStatus.ARCHIVED, archive_reason=ArchiveReason.RULE, archived_at=now)
        change.update(snoozed_until=None, resolved_at=ticket.resolved_at or now)
    elif kind == "markAsPriority":
        change["is_priority"] = True
    elif kind == "setSentiment":
        change["sentiment"] = spec.get("value") or ""
        ticket.sentiment = change["sentiment"]
    elif kind == "assign" and spec.get("user_id"):
        user = refs.users.get(spec["user_id"])
        if user is None:
            raise _Skip("The assignee is no longer an active member.")
        change["assignee_id"] = user.pk
        routed.pop(ticket, None)
    elif kind == "assign":
        team = refs.teams.get(spec["team_id"])
        if team is None:
            raise _Skip("The team no longer exists.")
        change.pop("assignee_id", None)
        routed[ticket] = team
    elif kind == "categorize":
        found = [refs.categories[i] for i in spec.get("category_ids", []) if i in refs.categories]
        if not found:
            raise _Skip("The categories no longer exist.")
        categories.extend({"ticket_id": ticket.pk, "category_id": category.pk} for category in found)
    elif kind == "forwardByMail":
        params = {"emails": spec["recipients"], "subject": spec.get("subject", ""), "note": spec.get("message", "")}
        _perform(ticket, "forward", params, principal)
    elif kind == "reply":
        template = refs.templates.get(spec["template_id"])
        if template is None:
            raise _Skip("The template was deleted.")
        text = render_template(template.text, ticket=ticket, agent=None)
        _perform(ticket, "reply", {"text": text, "private": bool(spec.get("private"))}, principal)
    else:  # hide, delete, like
        _perform(ticket, kind, {}, principal)


def _perform(ticket: Ticket, action: str, params: dict, principal: Principal) -> None:
    """Through the one action pipeline; a refusal (not supported here, text too long) becomes a skip."""
    try:
        action_services.perform_action(ticket, action, actor=principal, params=params)
    except DomainError as exc:
        raise _Skip(f"{exc.message} {exc.details}" if exc.details else exc.message) from None


# --- dry run -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleTestResult:
    matches: bool
    conditions: list[ConditionResult]
    actions: list[dict]


def dry_run_rule(rule: Rule, ticket: Ticket) -> RuleTestResult:
    """Whether `rule` would match `ticket` (a stored ticket, or an unsaved sample) and why. Reads only."""
    results = explain(rule, ticket, load_context([rule], [ticket]))
    return RuleTestResult(matches=all(r.matched for r in results), conditions=results, actions=list(rule.actions))


# --- rules CRUD ----------------------------------------------------------------------------------------------------
RULE_FIELDS = ("name", "is_active", "position", "trigger", "conditions", "actions")


@transaction.atomic
def create_rule(*, actor: Principal, name: str, conditions: dict, actions: list, **fields) -> Rule:
    """A new rule, last in order unless `position` is given. Conditions/actions arrive validated (ids resolved)."""
    if "position" not in fields:
        last = Rule.objects.aggregate(last=Max("position"))["last"]
        fields["position"] = 0 if last is None else last + 1
    rule = Rule.objects.create(name=name, conditions=conditions, actions=actions, created_by=actor.user, **fields)
    audit.record("inbox.rule.created", rule, actor=actor, changes={"name": name})
    return rule


@transaction.atomic
def update_rule(rule: Rule, *, actor: Principal, **changes) -> Rule:
    for key, value in changes.items():
        if key in RULE_FIELDS:
            setattr(rule, key, value)
    rule.save()
    audit.record("inbox.rule.updated", rule, actor=actor, changes={k: str(v)[:200] for k, v in changes.items()})
    return rule


@transaction.atomic
def delete_rule(rule: Rule, *, actor: Principal) -> None:
    audit.record("inbox.rule.deleted", rule, actor=actor, changes={"name": rule.name})
    rule.delete()


@transaction.atomic
def reorder_rules(ids: list, *, actor: Principal) -> list[Rule]:
    """The rules named run first, in this order; the others follow in their current order. Unknown ids -> 400."""
    rules = list(Rule.objects.select_for_update().order_by("position", "created_at", "id"))
    by_id = {str(r.pk): r for r in rules}
    wanted = [str(i) for i in dict.fromkeys(ids)]
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise ValidationFailed(details={"ids": [f"Unknown rule: {', '.join(missing)}."]})
    named = set(wanted)
    ordered = [by_id[i] for i in wanted] + [r for r in rules if str(r.pk) not in named]
    for position, rule in enumerate(ordered):
        rule.position = position
    Rule.objects.bulk_update(ordered, ["position"])
    audit.record(
        "inbox.rules.reordered",
        None,
        actor=actor,
        object_type="inbox.rule",
        changes={"ids": [str(r.pk) for r in ordered]},
    )
    return ordered


# --- keyword lists -------------------------------------------------------------------------------------------------
def _checked_keywords(keywords: list[str]) -> list[str]:
    cleaned = keyword_matching.clean_keywords(keywords)
    too_long = [k for k in cleaned if len(k) > keyword_matching.MAX_KEYWORD_LENGTH]
    if too_long:
        raise ValidationFailed(details={"keywords": [f"At most {keyword_matching.MAX_KEYWORD_LENGTH} characters."]})
    if len(cleaned) > MAX_KEYWORDS:
        raise ValidationFailed(details={"keywords": [f"At most {MAX_KEYWORDS} keywords."]})
    return cleaned


@transaction.atomic
def _saved_with_unique_name(save: Callable[[], T], name: str) -> T:
    """Run `save` in a savepoint: the (tenant, name) unique constraint turns a name in use into a 409."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise ListNameTaken(details={"name": [f"A list named {name!r} exists."]}) from None


def create_keyword_list(*, actor: Principal, name: str, keywords: list[str]) -> KeywordList:
    checked = _checked_keywords(keywords)
    row = _saved_with_unique_name(lambda: KeywordList.objects.create(name=name, keywords=checked), name)
    audit.record("inbox.keyword_list.created", row, actor=actor, changes={"name": name, "count": len(row.keywords)})
    return row


@transaction.atomic
def update_keyword_list(row: KeywordList, *, actor: Principal, **changes) -> KeywordList:
    """Rename or replace the words; the new `updated_at` makes every process recompile its matcher."""
    if "name" in changes:
        row.name = changes["name"]
    if "keywords" in changes:
        row.keywords = _checked_keywords(changes["keywords"])
    _saved_with_unique_name(row.save, row.name)
    audit.record("inbox.keyword_list.updated", row, actor=actor, changes={"name": row.name, "count": len(row.keywords)})
    return row


def _rules_using(key: str, list_id) -> list[str]:
    return list(Rule.objects.filter(**{f"conditions__{key}": str(list_id)}).values_list("name", flat=True))


@transaction.atomic
def delete_keyword_list(row: KeywordList, *, actor: Principal) -> None:
    """Refused (409) while a rule uses the list."""
    users = _rules_using("message_has_keyword", row.pk)
    if users:
        raise ListInUse(details={"rules": users})
    audit.record("inbox.keyword_list.deleted", row, actor=actor, changes={"name": row.name})
    list_id = row.pk
    row.delete()
    transaction.on_commit(lambda: keyword_matching.forget(list_id))


# --- interactor lists ----------------------------------------------------------------------------------------------
@transaction.atomic
def create_interactor_list(*, actor: Principal, name: str) -> InteractorList:
    row = _saved_with_unique_name(lambda: InteractorList.objects.create(name=name), name)
    audit.record("inbox.interactor_list.created", row, actor=actor, changes={"name": name})
    return row


@transaction.atomic
def rename_interactor_list(row: InteractorList, *, actor: Principal, name: str) -> InteractorList:
    row.name = name
    _saved_with_unique_name(row.save, name)
    audit.record("inbox.interactor_list.updated", row, actor=actor, changes={"name": name})
    return row


@transaction.atomic
def delete_interactor_list(row: InteractorList, *, actor: Principal) -> None:
    """Refused (409) while a rule uses the list."""
    users = _rules_using("interactor_in_list", row.pk)
    if users:
        raise ListInUse(details={"rules": users})
    audit.record("inbox.interactor_list.deleted", row, actor=actor, changes={"name": row.name})
    row.delete()


@transaction.atomic
def add_to_interactor_list(row: InteractorList, *, actor: Principal, entries: list[tuple[Any, Interactor]]) -> int:
    """Add (channel, interactor) pairs; ones already listed are left as they are. Returns how many were new."""
    before = row.entries.count()
    InteractorListEntry.objects.bulk_create(
        [
            InteractorListEntry(tenant_id=row.tenant_id, interactor_list=row, channel=c, interactor=i)
            for c, i in entries
        ],
        ignore_conflicts=True,
    )
    added = row.entries.count() - before
    audit.record("inbox.interactor_list.entries_added", row, actor=actor, changes={"added": added})
    return added


@transaction.atomic
def remove_from_interactor_list(row: InteractorList, *, actor: Principal, entries: list[tuple[Any, Interactor]]) -> int:
    removed = 0
    for channel, interactor in entries:
        removed += row.entries.filter(channel=channel, interactor=interactor).delete()[0]
    audit.record("inbox.interactor_list.entries_removed", row, actor=actor, changes={"removed": removed})
    return removed
