"""The condition operators (seed 001) and the placeholder templates."""

from __future__ import annotations

import pytest

from notifications import conditions, templates


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "result"),
    [
        ("LARGER", 5, 3, True),
        ("LARGER", "10", "9", True),
        ("LARGER", 3, 3, False),
        ("SMALLER", 2, 3, True),
        ("LARGER_EQUAL", 3, 3, True),
        ("SMALLER_EQUAL", 4, 3, False),
        ("EQUAL", "gold", "gold", True),
        ("EQUAL", 1, "1.0", True),
        ("EQUAL", None, "x", False),
        ("NOT_EQUAL", "a", "b", True),
        ("NOT_EQUAL", None, "b", True),
        ("IN", "de", ["de", "fr"], True),
        ("IN", "en", "de,fr", False),
        ("NOT_IN", "en", ["de"], True),
        ("ANY_IN", ["a", "b"], ["b", "c"], True),
        ("ANY_IN", ["a"], ["c"], False),
        ("ALL_IN", ["a", "b", "c"], ["a", "b"], True),
        ("ALL_IN", ["a"], ["a", "b"], False),
        ("BETWEEN", 5, [1, 10], True),
        ("BETWEEN", 11, [1, 10], False),
        ("NOT_BETWEEN", 11, [1, 10], True),
        ("BETWEEN", "2026-05-01", ["2026-01-01", "2026-12-31"], True),
        ("LIKE", "hello world", "world", True),
        ("LIKE", "hello", "h_llo", True),
        ("LIKE", "Hello", "he%", True),
        ("NOT_LIKE", "hello", "bye", True),
        ("LARGER", "abc", 3, True),
        ("LARGER", None, 3, False),
    ],
)
def test_operators(operator, actual, expected, result):
    assert conditions.apply_operator(operator, actual, expected) is result


def test_nested_groups_negation_and_trace():
    tree = [
        {
            "type": "GROUP",
            "value": "OR",
            "children": [
                {"on": "payload", "field": "tier", "operator": "EQUAL", "value": "gold"},
                {
                    "type": "GROUP",
                    "value": "AND",
                    "is_negated": True,
                    "children": [{"on": "subscriber", "field": "locale", "operator": "EQUAL", "value": "de"}],
                },
            ],
        }
    ]
    assert conditions.validate(tree) == tree
    passed, trace = conditions.evaluate(tree, {"payload": {"tier": "tin"}, "subscriber": {"locale": "fr"}})
    assert passed and [t["passed"] for t in trace] == [False, False]
    passed, _ = conditions.evaluate(tree, {"payload": {"tier": "tin"}, "subscriber": {"locale": "de"}})
    assert not passed


@pytest.mark.parametrize(
    "tree",
    [
        "x",
        [1],
        [{"type": "GROUP", "value": "XOR", "children": []}],
        [{"field": "a", "operator": "BETWEEN", "value": [1]}],
        [{"field": "a", "on": "tenant", "operator": "EQUAL"}],
        [{"operator": "EQUAL"}],
    ],
)
def test_malformed_conditions_are_refused(tree):
    with pytest.raises(conditions.ConditionError):
        conditions.validate(tree)


def test_templates_render_camel_case_paths_against_snake_case_data():
    context = {"payload": {"order_id": "A1", "items": [{"name": "Mug"}]}, "subscriber": {"first_name": "Ada"}}
    rendered = templates.render(
        "{{subscriber.firstName}}: {{payload.orderId}} {{ payload.items.0.name }} {{payload.missing}}!", context
    )
    assert rendered == "Ada: A1 Mug !"


@pytest.mark.parametrize("template", ["{{payload.x", "payload.x}}", "{{secrets.key}}", "{{payload.a b}}", "{{}}"])
def test_templates_that_cannot_render_are_refused(template):
    with pytest.raises(templates.TemplateError):
        templates.validate(template)
