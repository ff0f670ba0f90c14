"""Step templates: `{{payload.x}}`, `{{subscriber.firstName}}`, `{{step.digestCount}}`.

Deliberately tiny (no logic, no filters): a placeholder is a dotted path into one of the known roots. A template
that cannot render (unbalanced braces, an unknown root, a malformed path) is refused when the workflow is saved,
so nothing fails at send time; a path missing from a payload renders empty.
"""

from __future__ import annotations

import json
import re
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


def render(template: str, context: dict[str, Any]) -> str:
    def replace(match: re.Match) -> str:
        value = _resolve(context, match.group(1))
        if value is None:
            return ""
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    return PLACEHOLDER.sub(replace, template)
