"""Request body parsers: camelCase JSON, form and multipart, each refusing input the database or Python cannot hold.

Every string that reaches the database passes here once (at the edge) instead of in each serializer:

- JSON nested deeper than `MAX_JSON_DEPTH` is refused before it is parsed (Python's parser recurses and would
  escape as `RecursionError`, a 500).
- `NaN`, `Infinity`, numbers that overflow to infinity and integers beyond 64 bits are refused (the database and
  JSON output cannot represent them).
- NUL and lone UTF-16 surrogates are refused in every string and key (PostgreSQL text and jsonb reject them), and
  so are other control characters except tab, newline and carriage return.
- Fields that hold a name (keys ending in `name`) may contain no control characters at all.
- Timestamps whose UTC offset is beyond ±15:59 are refused (PostgreSQL cannot store them; real offsets stay within
  ±14:00).

Each refusal is a 400 `VALIDATION_ERROR` naming the field path (`config.endpointUrl`, `items[2].name`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from djangorestframework_camel_case.parser import (
    CamelCaseFormParser,
    CamelCaseJSONParser,
    CamelCaseMultiPartParser,
)
from djangorestframework_camel_case.settings import api_settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError

from core.errors import ValidationFailed

MAX_JSON_DEPTH = 64
MAX_INT = 2**63 - 1
# C0 controls but tab, LF, CR; DEL; C1 controls. Names refuse tab, LF and CR too.
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TIMESTAMP_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-])(\d{2}):?(\d{2})$")


def string_problem(value: str, *, is_name: bool = False) -> str | None:
    """Why `value` cannot be stored, or None. Shared by the body parsers and the query-string check."""
    if "\x00" in value:
        return "NUL characters are not allowed."
    if _SURROGATE.search(value):
        return "Lone UTF-16 surrogates are not allowed."
    if (_NAME_CONTROL if is_name else _BAD_CONTROL).search(value):
        return "Control characters are not allowed."
    match = _TIMESTAMP_OFFSET.match(value)
    if match and (int(match.group(2)) > 15 or int(match.group(3)) > 59):
        return "The UTC offset must be within ±15:59."
    return None


def _is_name_key(key: str) -> bool:
    return key.lower().endswith("name")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects nest deeper than `limit`, counted without parsing (strings are skipped)."""
    depth = 0
    for char in _STRING_LITERAL.sub("", text):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _walk(value: Any, path: str, is_name: bool = False) -> Iterator[tuple[str, str]]:
    """(path, problem) for every unstorable string, key or number in a parsed JSON value."""
    if isinstance(value, str):
        problem = string_problem(value, is_name=is_name)
        if problem:
            yield path or "body", problem
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            yield path or "body", "The number is too large."
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = string_problem(key, is_name=True)
            child = f"{path}.{key}" if path else key
            if key_problem:
                yield (path or "body"), f"Invalid key: {key_problem}"
                continue
            yield from _walk(item, child, is_name=_is_name_key(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", is_name=is_name)


def check_values(data: Any) -> None:
    """400 naming every field that holds an unstorable value."""
    problems: dict[str, list[str]] = {}
    for path, problem in _walk(data, ""):
        problems.setdefault(path, []).append(problem)
    if problems:
        raise ValidationFailed(details=problems)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON.")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError("The number is too large.")
    return number


class JSONParser(CamelCaseJSONParser):
    """camelCase JSON, refusing what the database cannot hold (see the module docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid {encoding}.") from exc
        if json_depth_exceeds(text):
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_values(data)
        return underscoreize(data, **api_settings.JSON_UNDERSCOREIZE)


class FormParser(CamelCaseFormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_values({key: data.getlist(key) for key in data})
        return data


class MultiPartParser(CamelCaseMultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        check_values({key: parsed.data.getlist(key) for key in parsed.data})
        check_values({key: [f.name for f in parsed.files.getlist(key)] for key in parsed.files})
        return parsed
