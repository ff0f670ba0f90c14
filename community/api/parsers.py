"""camelCase JSON in, except inside the maps whose keys are data, not field names (`s1`..`s6`, board and member
ids or handles, social network names): the default conversion would turn `s1` into `s_1`."""

from __future__ import annotations

from djangorestframework_camel_case.parser import CamelCaseJSONParser
from djangorestframework_camel_case.settings import api_settings

MAP_FIELDS = ("reactionSlots", "displayOrder", "memberChanges", "socialLinks")


class CommunityJSONParser(CamelCaseJSONParser):
    json_underscoreize = {
        **api_settings.JSON_UNDERSCOREIZE,
        "ignore_fields": (*(api_settings.JSON_UNDERSCOREIZE.get("ignore_fields") or ()), *MAP_FIELDS),
    }
