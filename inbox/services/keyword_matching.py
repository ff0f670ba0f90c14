"""Keyword lists as one compiled regex each: case-insensitive, whole words and phrases, in any script.

- Text and keywords are NFC-normalised and case-folded (so "CAFÉ" written with a combining accent matches "café",
  and "STRASSE" matches "straße").
- A keyword matches as a whole word: not preceded or followed by a letter, digit or underscore of any script
  (Python's Unicode `\\w`, not ASCII `\\b`): "art" does not match "start" or "artist".
- A phrase matches with any run of whitespace between its words ("thank   you").
- Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) have no word edge to
  look for: on the side where a keyword begins or ends with such a character, no boundary is required, so
  "ありがとう" matches inside "ありがとうございます". Korean uses spaces and is matched as whole words.

How it stays cheap with 20 lists of 500 words on every ticket of a burst:
- the text is prepared once per ticket (`prepare`: normalised, split into runs of words separated only by
  whitespace), and shared by every list;
- a `KeywordIndex` over the lists of a batch's rules maps each keyword's first word to its lists: one dict lookup
  per word of the text says which few lists can match, and only those are searched;
- keywords made only of whole words of spaced scripts (nearly all of them) are looked up as word tuples in a dict
  (one lookup per word and phrase length), which is exactly "whole words, whitespace between them";
- the others (unspaced scripts, or characters that are not letters, like "c++" or "#sale") are compiled into one
  trie-shaped regex per list (one branch per distinct first character, nested), so hundreds of them cost about
  one pass over the text, not one pass per keyword.
Compiled matchers are cached per list and rebuilt when the list's `updated_at` changes.
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
_WORDS = re.compile(r"\w+")
_RUNS = re.compile(r"\w+(?:\s+\w+)*")  # words separated by whitespace only (`\s` and str.split agree on it)
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
class PreparedText:
    """A message prepared once for every keyword list: normalised, its words in runs separated by whitespace only
    (a phrase never matches across punctuation), and the set of its words."""

    normal: str
    runs: list[list[str]]
    words: frozenset[str]


def prepare(text: str) -> PreparedText:
    normal = normalize(text)
    runs = [run.split() for run in _RUNS.findall(normal)]
    return PreparedText(normal, runs, frozenset(word for run in runs for word in run))


@dataclass(frozen=True)
class KeywordMatcher:
    words: dict[tuple[str, ...], str]  # whole-word keywords as normalised word tuples -> the keyword as written
    first_words: frozenset[str]  # the first word of each of them: a text without any cannot match
    longest: int  # the most words in one of them
    pattern: re.Pattern | None  # the other keywords
    by_normal_form: dict[str, str]  # normalised keyword -> the keyword as written in the list

    def first_match(self, text: PreparedText) -> str | None:
        """A keyword of the list found in `text` (the first whole-word one in reading order, else the first of the
        others), as written in the list; None when there is none."""
        # A set intersection in C rules out almost every text; the walk below runs only for a likely match.
        if self.words and not text.words.isdisjoint(self.first_words):
            for run in text.runs:
                for start, word in enumerate(run):
                    if word not in self.first_words:
                        continue
                    for size in range(min(self.longest, len(run) - start), 0, -1):  # longest first
                        keyword = self.words.get(tuple(run[start : start + size]))
                        if keyword is not None:
                            return keyword
        if self.pattern is None:
            return None
        found = self.pattern.search(text.normal)
        if found is None:
            return None
        return self.by_normal_form.get(_SPACES.sub(" ", found.group(0)), found.group(0))


def _whole_words(normal: str) -> tuple[str, ...] | None:
    """The word tuple of a keyword made only of spaced-script words and single spaces, else None."""
    words = tuple(normal.split(" "))
    if all(_WORDS.fullmatch(word) and not any(_unspaced(c) for c in word) for word in words):
        return words
    return None


def compile_keywords(keywords: Iterable[str]) -> KeywordMatcher:
    """Whole-word keywords into a dict of word tuples; the rest into one regex, grouped by which edges need a word
    boundary, each group a trie."""
    by_normal_form: dict[str, str] = {}
    words: dict[tuple[str, ...], str] = {}
    groups: dict[tuple[bool, bool], list[str]] = {}
    for keyword in clean_keywords(keywords):
        normal = normalize(keyword)
        by_normal_form.setdefault(normal, keyword)
        as_words = _whole_words(normal)
        if as_words is not None:
            words.setdefault(as_words, keyword)
            continue
        edges = (not _unspaced(normal[0]), not _unspaced(normal[-1]))
        groups.setdefault(edges, []).append(normal)
    alternatives = []
    for (left, right), group in sorted(groups.items(), reverse=True):
        body = _trie_pattern(group)
        alternatives.append((NO_WORD_BEFORE if left else "") + f"(?:{body})" + (NO_WORD_AFTER if right else ""))
    pattern = re.compile("|".join(alternatives)) if alternatives else None
    first_words = frozenset(w[0] for w in words)
    return KeywordMatcher(words, first_words, max((len(w) for w in words), default=0), pattern, by_normal_form)


class KeywordIndex:
    """The keyword lists a batch's rules use, behind one lookup: which of them can match a text at all (one dict
    lookup per word of the text, not one test per list), so a list is searched only when the text holds the first
    word of one of its keywords or the list has keywords the word lookup does not cover."""

    def __init__(self, matchers: dict[str, KeywordMatcher]) -> None:
        self.matchers = matchers
        self.always = frozenset(list_id for list_id, matcher in matchers.items() if matcher.pattern is not None)
        by_word: dict[str, set[str]] = {}
        for list_id, matcher in matchers.items():
            for word in matcher.first_words:
                by_word.setdefault(word, set()).add(list_id)
        self.by_first_word = {word: frozenset(ids) for word, ids in by_word.items()}

    def candidates(self, text: PreparedText) -> set[str]:
        found = set(self.always)
        for word in text.words:
            ids = self.by_first_word.get(word)
            if ids is not None:
                found |= ids
        return found


_indexes: dict[tuple, KeywordIndex] = {}
MAX_INDEXES = 256  # distinct sets of lists (tenants' rule sets) kept per process


def index_for(matchers: dict[str, KeywordMatcher]) -> KeywordIndex:
    """The index of these matchers, built once per set of compiled lists (a list's new version is a new matcher)."""
    # The cached index holds the matchers, so their ids are not reused while the key exists.
    key = tuple(sorted((list_id, id(matcher)) for list_id, matcher in matchers.items()))
    index = _indexes.get(key)
    if index is None:
        index = KeywordIndex(matchers)
        with _cache_lock:
            if len(_indexes) >= MAX_INDEXES:
                _indexes.clear()
            _indexes[key] = index
    return index


_cache: dict[object, tuple[object, KeywordMatcher]] = {}
_cache_lock = threading.Lock()


def cached_matcher(list_id: object, version: object) -> KeywordMatcher | None:
    """The matcher this process compiled for that version of the list, if any (then its words need not be read)."""
    cached = _cache.get(list_id)
    return cached[1] if cached is not None and cached[0] == version else None


def matcher_for(list_id: object, version: object, keywords: list[str]) -> KeywordMatcher:
    """The compiled matcher of a keyword list, rebuilt only when `version` (its `updated_at`) changed."""
    matcher = cached_matcher(list_id, version)
    if matcher is not None:
        return matcher
    matcher = compile_keywords(keywords)
    with _cache_lock:
        _cache[list_id] = (version, matcher)
    return matcher


def forget(list_id: object) -> None:
    """Drop a list's matcher (deleted lists; edits are caught by the version)."""
    with _cache_lock:
        _cache.pop(list_id, None)
