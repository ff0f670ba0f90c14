"""Keyword and mention conditions, through the dry run of a rule (POST /inbox/rules/{id}/test with a sample):
case-insensitive whole words and phrases in any script; scripts without spaces match inside words (documented in
inbox.services.keyword_matching); an edited list is recompiled."""

from __future__ import annotations

import pytest

from inbox.services import keyword_matching
from inbox.tests.rules_helpers import KEYWORD_LISTS, RULES, keyword_list, rule

KEYWORDS = ["art", "café", "спасибо", "ありがとう", "thank you", "straße", "c++", "#sale"]


@pytest.fixture
def keyword_rule(owner_client):
    words = keyword_list(owner_client, KEYWORDS)
    return rule(owner_client, "Words", [{"type": "markAsPriority"}], {"messageHasKeyword": words})


def found(client, made: dict, text: str) -> str | None:
    response = client.post(f"{RULES}{made['id']}/test", {"text": text}, format="json")
    assert response.status_code == 200, response.json()
    [condition] = response.json()["conditions"]
    assert condition["matched"] is (condition["keyword"] is not None)
    return condition["keyword"]


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("What a great piece of ART!", "art"),
        ("Let's start now", None),  # "art" inside a word
        ("The artist is here", None),
        ("art-deco", "art"),  # a hyphen is not a letter
        ("Un CAFÉ, s'il vous plaît", "café"),
        ("Un cafe\u0301 noir", "café"),  # é written as e + combining accent
        ("cafés are open", None),
        ("Большое СПАСИБО!", "спасибо"),
        ("спасибочки", None),  # Cyrillic has spaces: whole words
        ("ありがとうございます", "ありがとう"),  # Japanese has no spaces: found inside the sentence
        ("本当にありがとう。", "ありがとう"),
        ("Thank  you\nso much", "thank you"),
        ("thankyou", None),
        ("Thank you-notes", "thank you"),
        ("GROSSE STRASSE", "straße"),  # case folding: ß == ss
        ("I code in C++ daily", "c++"),
        ("Big #SALE today", "#sale"),
        ("nothing here", None),
    ],
)
def test_keywords_match_whole_words_and_phrases_in_any_script(owner_client, keyword_rule, text, keyword):
    assert found(owner_client, keyword_rule, text) == keyword


def test_an_edited_list_is_recompiled(owner_client):
    words = keyword_list(owner_client, ["apple"])
    made = rule(owner_client, "Fruit", [{"type": "markAsPriority"}], {"messageHasKeyword": words})
    assert found(owner_client, made, "an apple a day") == "apple"
    owner_client.patch(f"{KEYWORD_LISTS}{words}/", {"keywords": ["pear"]}, format="json")
    assert found(owner_client, made, "an apple a day") is None
    assert found(owner_client, made, "a PEAR") == "pear"


@pytest.mark.parametrize(
    ("text", "has_mention", "only_mentions"),
    [
        ("@ann @bob", True, True),
        ("@ann, @bob!", True, True),
        ("hey @ann look", True, False),
        ("write to me@example.com", False, False),
        ("no one", False, False),
    ],
)
def test_mention_conditions(owner_client, text, has_mention, only_mentions):
    mention = rule(owner_client, "Mention", [{"type": "archive"}], {"messageHasMention": True})
    only = rule(owner_client, "Only", [{"type": "archive"}], {"messageConsistsOfMentions": True})
    for made, expected in ((mention, has_mention), (only, only_mentions)):
        response = owner_client.post(f"{RULES}{made['id']}/test", {"text": text}, format="json")
        assert response.json()["matches"] is expected, (made["name"], text)


def test_the_longest_keyword_wins_and_five_hundred_words_compile_once():
    words = [f"word{n}" for n in range(500)] + ["art", "art gallery", "artist"]
    words += [f"ありがとう{n}" for n in range(50)]  # no spaces in Japanese: these go to the regex
    matcher = keyword_matching.compile_keywords(words)
    prepare = keyword_matching.prepare
    assert matcher.first_match(prepare("Visit the ART GALLERY")) == "art gallery"
    assert matcher.first_match(prepare("a word499 here")) == "word499"
    assert matcher.first_match(prepare("word5000")) is None
    assert matcher.first_match(prepare("本当にありがとう49!")) == "ありがとう49"
    assert len(matcher.words) == 503
    assert matcher.pattern.pattern.count("ありがとう") == 1  # a trie: the shared prefix is written once


def test_matchers_are_cached_per_list_version():
    first = keyword_matching.matcher_for("list-1", 1, ["a"])
    assert keyword_matching.matcher_for("list-1", 1, ["ignored"]) is first
    second = keyword_matching.matcher_for("list-1", 2, ["b"])
    assert second is not first and second.first_match(keyword_matching.prepare("b")) == "b"
    keyword_matching.forget("list-1")
