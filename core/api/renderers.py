"""The JSON renderer: snake_case names from the serializers become camelCase on the wire, in one walk.

djangorestframework-camel-case's renderer runs its regex on every key of every row and builds an OrderedDict copy
of the whole response before encoding it. Here a key is converted once per process (the names are the serializers'
field names: a small, fixed set), plain dicts are built, and the values of user JSON fields
(`JSON_CAMEL_CASE["JSON_UNDERSCOREIZE"]["ignore_fields"]`, e.g. `network_options`) are passed through untouched,
as the parser leaves them on the way in.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.utils.encoding import force_str
from django.utils.functional import Promise
from djangorestframework_camel_case.settings import api_settings as camel_settings
from rest_framework.renderers import JSONRenderer

_UNDERSCORE = re.compile(r"[a-z0-9]?_[a-z0-9]")


def _upper(match: re.Match) -> str:
    group = match.group()
    return group[0] + group[2].upper() if len(group) == 3 else group[1].upper()


@functools.lru_cache(maxsize=8192)
def camel_key(key: str) -> str:
    """`publish_at` -> `publishAt` (the same rule as djangorestframework-camel-case)."""
    return _UNDERSCORE.sub(_upper, key) if "_" in key else key


def _ignored_fields() -> frozenset[str]:
    return frozenset(camel_settings.JSON_UNDERSCOREIZE.get("ignore_fields") or ())


class CamelCaseRows(list):
    """Rows built with their wire (camelCase) keys already (e.g. a list page built straight from database values):
    `camelize` passes them through instead of walking every key of every row again."""


def camelize(data: Any, ignored: frozenset[str] = frozenset()) -> Any:
    """`data` with every dict key camelCased, except inside the values of `ignored` keys and `CamelCaseRows`."""
    if isinstance(data, CamelCaseRows):
        return data
    if isinstance(data, dict):
        converted = {}
        for key, value in data.items():
            if isinstance(key, Promise):
                key = force_str(key)
            if isinstance(key, str):
                new_key = camel_key(key)
                converted[new_key] = value if key in ignored or new_key in ignored else camelize(value, ignored)
            else:
                converted[key] = camelize(value, ignored)
        return converted
    if isinstance(data, (list, tuple)):
        return [camelize(item, ignored) for item in data]
    return data


def camelize_for_wire(data: Any) -> Any:
    """What the renderer makes of `data` (for a value placed inside `CamelCaseRows`)."""
    return camelize(data, _ignored_fields())


class CamelCaseJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return super().render(camelize(data, _ignored_fields()), accepted_media_type, renderer_context)
