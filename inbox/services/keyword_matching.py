"""Keyword lists as one compiled regex each: case-insensitive, whole words and phrases, in any script.

- Text and keywords are NFC-normalised and case-folded (so "CAFÉ" written with a combining accent matches "café",
  and "STRASSE" matches "straße").
- A keyword matches as a whole word: not preceded or followed by a letter, digit or underscore of any script
  (Python's Unicode `\\w`, not ASCII `\\b`): "art" does not match "start" or "artist".
- A phrase matches with any run of whitespace between its words ("thank   you").
- Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) have no word edge to
  look for: on the side where a keyword begins or ends with such a character, no boundary is required, so
  "ありがとう" matches inside "ありがとうございます". Korean uses spaces and is matched as whole words.

The keywords are compiled into a trie-shaped alternation (one branch per distinct first character, nested), so
a list of hundreds of words costs about one pass over the text, not one pass per word. Compiled matchers are
cached per list and rebuilt when the list's `updated_at` changes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Scripts without spaces between words (code point ranges).
UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
MAX_KEYWORD_LENGTH = 200
_SPACES = re.compile(r"\s+")
_END = ""  # trie key marking the end of a keyword
NO_WORD_BEFORE = r"(?<!\w)"
NO_WORD_AFTER = r"(?!\w)"


def normalize(text: str) -> str:
    """The form both the text and the keywords are compared in."""
    return unicodedata.normalize("NFC", text).casefold()


def clean_keywords(keywords: Iterable[str]) -> list[str]:
    """Keywords as stored: trimmed, inner whitespace collapsed, blanks and case-insensitive duplicates dropped."""
    seen: set[str] = set()
    cleaned = []
    for keyword in keywords:
        keyword = _SPACES.sub(" ", unicodedata.normalize("NFC", keyword)).strip()
        key = keyword.casefold()
        if keyword and key not in seen:
            seen.add(key)
            cleaned.append(keyword)
    return cleaned


def _unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in UNSPACED_RANGES)


def _trie_pattern(words: list[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}

    def build(node: dict) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + build(child)
            for char, child in sorted(node.items())
            if char != _END
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: the longest keyword is tried first, shorter ones on backtracking (word edges).
        return f"(?:{body})?" if _END in node else body

    return build(trie)


@dataclass(frozen=True)
class KeywordMatcher:
    pattern: re.Pattern | None
    by_normal_form: dict[str, str]  # normalised keyword -> the keyword as written in the list

    def first_match(self, normal_text: str) -> str | None:
        """The first keyword (as written in the list) found in `normal_text` (already `normalize`d), or None."""
        if self.pattern is None:
            return None
        found = self.pattern.search(normal_text)
        if found is None:
            return None
        return self.by_normal_form.get(_SPACES.sub(" ", found.group(0)), found.group(0))


def compile_keywords(keywords: Iterable[str]) -> KeywordMatcher:
    """One regex for the whole list: keywords grouped by which edges need a word boundary, each group a trie."""
    by_normal_form: dict[str, str] = {}
    groups: dict[tuple[bool, bool], list[str]] = {}
    for keyword in clean_keywords(keywords):
        normal = normalize(keyword)
        by_normal_form.setdefault(normal, keyword)
        edges = (not _unspaced(normal[0]), not _unspaced(normal[-1]))
        groups.setdefault(edges, []).append(normal)
    if not groups:
        return KeywordMatcher(None, {})
    alternatives = []
    for (left, right), words in sorted(groups.items(), reverse=True):
        body = _trie_pattern(words)
        alternatives.append((NO_WORD_BEFORE if left else "") + f"(?:{body})" + (NO_WORD_AFTER if right else ""))
    return KeywordMatcher(re.compile("|".join(alternatives)), by_normal_form)


_cache: dict[object, tuple[object, KeywordMatcher]] = {}
_cache_lock = threading.Lock()


def matcher_for(list_id: object, version: object, keywords: list[str]) -> KeywordMatcher:
    """The compiled matcher of a keyword list, rebuilt only when `version` (its `updated_at`) changed."""
    cached = _cache.get(list_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    matcher = compile_keywords(keywords)
    with _cache_lock:
        _cache[list_id] = (version, matcher)
    return matcher


def forget(list_id: object) -> None:
    """Drop a list's matcher (deleted lists; edits are caught by the version)."""
    with _cache_lock:
        _cache.pop(list_id, None)
