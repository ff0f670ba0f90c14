"""The camelCase renderer (core.api.renderers)."""

from __future__ import annotations

import json

from core.api.renderers import CamelCaseJSONRenderer, camel_key, camelize


def test_keys_are_camelized_at_every_level_except_inside_user_json():
    data = {
        "publish_at": "x",
        "network_options": {"pinterest": {"board_id": "b", "boardSectionId": "s"}},
        "items": [{"remote_id": 1, "nested_list": [{"a_b": 2}]}],
        "line_2": 3,
    }
    rendered = json.loads(CamelCaseJSONRenderer().render(data))
    assert rendered == {
        "publishAt": "x",
        "networkOptions": {"pinterest": {"board_id": "b", "boardSectionId": "s"}},  # as the user sent it
        "items": [{"remoteId": 1, "nestedList": [{"aB": 2}]}],
        "line2": 3,
    }


def test_the_conversion_matches_the_library_rule():
    from djangorestframework_camel_case.util import camelize as library_camelize

    sample = {"a_b_c": {"x_1": [{"already_camel": 1, "camelCase": 2, "_private": 3, "trailing_": 4}]}}
    assert camelize(sample) == json.loads(json.dumps(library_camelize(sample)))
    assert camel_key("first_comment_failed") == "firstCommentFailed"
