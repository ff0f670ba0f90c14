"""Step templates: `{{payload.x}}`, `{{subscriber.firstName}}`, `{{step.digestCount}}`.

Deliberately tiny (no logic, no filters): a placeholder is a dotted path into one of the known roots. A template
that cannot render (unbalanced braces, an unknown root, a malformed path) is refused when the workflow is saved,
so nothing fails at send time; a path missing from a payload renders empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from djangorestframework_camel_case.util import camel_to_underscore

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
ROOTS = ("payload", "subscriber", "step", "tenant")


class TemplateError(ValueError):
    pass


def validate(template: str) -> None:
    stripped = PLACEHOLDER.sub("", template)
    if "{{" in stripped or "}}" in stripped:
        raise TemplateError("Unbalanced {{ }} in the template.")
    for match in PLACEHOLDER.finditer(template):
        path = match.group(1)
        if not PATH.match(path):
            raise TemplateError(f"{{{{{path}}}}} is not a placeholder path.")
        if path.split(".", 1)[0] not in ROOTS:
            raise TemplateError(f"{{{{{path}}}}}: placeholders start with one of {', '.join(ROOTS)}.")


def get_key(mapping: dict[str, Any], key: str) -> Any:
    """`key` as written, else its snake_case spelling: API bodies arrive underscoreized (camelCase on the wire),
    while templates keep what the author typed (`{{subscriber.firstName}}`)."""
    if key in mapping:
        return mapping[key]
    return mapping.get(camel_to_underscore(key))


def _resolve(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = get_key(value, part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(template: str, context: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda match: _text(_resolve(context, match.group(1))), template)


@dataclass(frozen=True)
class Slot:
    """A placeholder whose value differs between the recipients of a batch: each message fills it itself."""

    name: str


Parts = tuple[str | Slot, ...]


def join(parts: Parts, tag: Callable[[str], str]) -> str:
    """Parts as one text, each slot written as `tag(slot name)` (a provider's substitution syntax)."""
    return "".join(part if isinstance(part, str) else tag(part.name) for part in parts)


@dataclass(frozen=True)
class Personalized:
    """Templates rendered once for many contexts: per field, literal text (constants inlined) and slots, plus each
    context's slot values. A provider's batch API takes the parts with its own substitution tags and the values per
    recipient; `text()` is what one recipient gets, stored on its message."""

    parts: dict[str, Parts]
    variables: list[dict[str, str]]

    def text(self, name: str, index: int) -> str:
        values = self.variables[index]
        return "".join(part if isinstance(part, str) else values[part.name] for part in self.parts[name])


def personalize(fields: dict[str, str], contexts: list[dict[str, Any]]) -> Personalized:
    """Render `fields` (name -> template) for every context at once: each placeholder path is resolved once per
    context; a path with one value for all contexts becomes literal text, any other a slot (shared across fields)."""
    values: dict[str, list[str]] = {}
    slots: dict[str, Slot] = {}
    parts: dict[str, Parts] = {}
    for name, template in fields.items():
        out: list[str | Slot] = []
        for position, piece in enumerate(PLACEHOLDER.split(template or "")):
            if position % 2 == 0:  # split() alternates literal text and the captured placeholder path
                out.append(piece)
                continue
            if piece not in values:
                values[piece] = [_text(_resolve(context, piece)) for context in contexts]
            if len(set(values[piece])) <= 1:
                out.append(values[piece][0] if values[piece] else "")
            else:
                out.append(slots.setdefault(piece, Slot(f"v{len(slots)}")))
        merged: list[str | Slot] = []
        for part in out:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            elif part != "":
                merged.append(part)
        parts[name] = tuple(merged)
    return Personalized(
        parts, [{slot.name: values[path][i] for path, slot in slots.items()} for i in range(len(contexts))]
    )


@dataclass(frozen=True)
class Column:
    """A placeholder whose value is a column of the recipient's row (rendered by the database)."""

    name: str


def as_columns(
    template: str, constants: dict[str, Any], columns: frozenset[str], root: str
) -> list[str | Column] | None:
    """`template` as literal text and columns, for rendering in SQL: a placeholder under a root of `constants`
    renders now; `{{<root>.<key>}}` becomes the column `key` (camelCase or snake_case) when `columns` has it. None
    when some placeholder is neither (`subscriber.data.plan`): the caller renders in Python instead."""
    out: list[str | Column] = []
    for position, piece in enumerate(PLACEHOLDER.split(template or "")):
        if position % 2 == 0:
            out.append(piece)
            continue
        head, _, rest = piece.partition(".")
        if head != root:
            out.append(_text(_resolve(constants, piece)))
            continue
        key = rest if rest in columns else camel_to_underscore(rest)
        if "." in rest or key not in columns:
            return None
        out.append(Column(key))
    return out
