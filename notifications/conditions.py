"""Integration (and step) conditions: a list of AND/OR groups over `subscriber` or `payload` fields (seed 001).

Shape: `[{"type": "GROUP", "value": "AND"|"OR", "isNegated": false, "children": [
          {"field": "tier", "on": "payload", "operator": "EQUAL", "value": "gold"}, {nested group}, ...]}]`
Top-level groups all have to hold. `evaluate()` returns the verdict with a trace, which `explain` shows.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from notifications.templates import get_key

OPERATORS = (
    "LARGER",
    "SMALLER",
    "LARGER_EQUAL",
    "SMALLER_EQUAL",
    "EQUAL",
    "NOT_EQUAL",
    "ALL_IN",
    "ANY_IN",
    "NOT_IN",
    "BETWEEN",
    "NOT_BETWEEN",
    "LIKE",
    "NOT_LIKE",
    "IN",
)
SOURCES = ("subscriber", "payload")
MAX_DEPTH = 5


class ConditionError(ValueError):
    pass


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(left: Any, right: Any) -> int | None:
    """-1/0/1 comparing numbers as numbers, everything else as strings (ISO dates order correctly as strings)."""
    a, b = _number(left), _number(right)
    if a is None or b is None:
        if left is None or right is None:
            return None
        a, b = str(left), str(right)  # type: ignore[assignment]
    return (a > b) - (a < b)  # type: ignore[operator]


def _as_list(value: Any) -> list:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _like(actual: Any, pattern: Any) -> bool:
    """SQL LIKE: `%` any run, `_` one character; case-insensitive. Without wildcards: substring."""
    text, pattern = str(actual or ""), str(pattern or "")
    if "%" not in pattern and "_" not in pattern:
        return pattern.lower() in text.lower()
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.IGNORECASE | re.DOTALL) is not None


def _equal(actual: Any, expected: Any) -> bool:
    return _compare(actual, expected) == 0 if _number(actual) is not None else str(actual) == str(expected)


def apply_operator(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "EQUAL":
        return actual is not None and _equal(actual, expected)
    if operator == "NOT_EQUAL":
        return actual is None or not _equal(actual, expected)
    if operator in ("LARGER", "SMALLER", "LARGER_EQUAL", "SMALLER_EQUAL"):
        order = _compare(actual, expected)
        if order is None:
            return False
        return {"LARGER": order > 0, "SMALLER": order < 0, "LARGER_EQUAL": order >= 0, "SMALLER_EQUAL": order <= 0}[
            operator
        ]
    if operator in ("BETWEEN", "NOT_BETWEEN"):
        bounds = _as_list(expected)
        if len(bounds) != 2:
            raise ConditionError(f"{operator} needs two values.")
        low, high = _compare(actual, bounds[0]), _compare(actual, bounds[1])
        inside = low is not None and high is not None and low >= 0 and high <= 0
        return inside if operator == "BETWEEN" else not inside
    if operator in ("IN", "NOT_IN"):
        options = [str(v) for v in _as_list(expected)]
        inside = actual is not None and str(actual) in options
        return inside if operator == "IN" else not inside
    if operator in ("ANY_IN", "ALL_IN"):
        options = {str(v) for v in _as_list(expected)}
        values = {str(v) for v in _as_list(actual)} if actual is not None else set()
        return bool(values & options) if operator == "ANY_IN" else bool(options) and options <= values
    if operator == "LIKE":
        return _like(actual, expected)
    if operator == "NOT_LIKE":
        return not _like(actual, expected)
    raise ConditionError(f"Unknown operator {operator!r}.")


def lookup(context: dict[str, Any], source: str, field: str) -> Any:
    value: Any = context.get(source) or {}
    for part in field.split("."):
        if isinstance(value, dict):
            value = get_key(value, part)
        else:
            return None
    return value


def validate(conditions: Any) -> list[dict[str, Any]]:
    """Raise ConditionError unless `conditions` is a well-formed list of groups; return it."""
    if not isinstance(conditions, list):
        raise ConditionError("Conditions must be a list of groups.")
    for group in conditions:
        _validate_node(group, depth=1)
    return conditions


def _validate_node(node: Any, *, depth: int) -> None:
    if not isinstance(node, dict):
        raise ConditionError("Each condition must be an object.")
    if node.get("type") == "GROUP" or "children" in node:
        if depth > MAX_DEPTH:
            raise ConditionError(f"Groups nest at most {MAX_DEPTH} deep.")
        if node.get("value", "AND") not in ("AND", "OR"):
            raise ConditionError("A group's value is AND or OR.")
        children = node.get("children")
        if not isinstance(children, list):
            raise ConditionError("A group needs a children list.")
        for child in children:
            _validate_node(child, depth=depth + 1)
        return
    if node.get("on", "payload") not in SOURCES:
        raise ConditionError(f"`on` must be one of {', '.join(SOURCES)}.")
    if not isinstance(node.get("field"), str) or not node["field"]:
        raise ConditionError("A rule needs a field.")
    if node.get("operator") not in OPERATORS:
        raise ConditionError(f"Unknown operator {node.get('operator')!r}; use one of {', '.join(OPERATORS)}.")
    if node["operator"] in ("BETWEEN", "NOT_BETWEEN") and len(_as_list(node.get("value"))) != 2:
        raise ConditionError(f"{node['operator']} needs two values.")


def evaluate(conditions: list[dict[str, Any]], context: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    """(all top-level groups hold, per-rule trace). No conditions: True."""
    trace: list[dict[str, Any]] = []
    verdicts = [_evaluate_node(group, context, trace) for group in conditions]
    return all(verdicts), trace


def _evaluate_node(node: dict[str, Any], context: dict[str, Any], trace: list) -> bool:
    if node.get("type") == "GROUP" or "children" in node:
        results = [_evaluate_node(child, context, trace) for child in node.get("children", [])]
        verdict = (any(results) if node.get("value") == "OR" else all(results)) if results else True
        return not verdict if (node.get("is_negated") or node.get("isNegated")) else verdict
    source = node.get("on", "payload")
    actual = lookup(context, source, node["field"])
    verdict = apply_operator(node["operator"], actual, node.get("value"))
    trace.append(
        {
            "on": source,
            "field": node["field"],
            "operator": node["operator"],
            "expected": node.get("value"),
            "actual": actual,
            "passed": verdict,
        }
    )
    return verdict
