"""Screening personalised texts against the staff's bad-words list.

Pure Python (stdlib only): no models, no database. Build a ``BadWordMatcher`` once per
word list and reuse it for every text; construction does the work so ``find()`` is cheap.

Semantics
---------
Folding
    Text and entries are folded character by character: Unicode NFKD, combining marks
    (accents) dropped, casefold. So "Bäd", "BAD", "ｂａｄ" and "bad" fold alike, "ß" folds
    to "ss" and "ﬁ" to "fi".

Tokens
    A token is a maximal run of characters whose folded form is letters or digits
    (``str.isalnum``). Everything else (spaces, punctuation, emoji, symbols) separates
    tokens. Combining marks and invisible format characters (zero-width space, soft
    hyphen, ...) neither separate nor count: "da\\u200bmn" is the one token "damn".
    Each token keeps its offsets in the ORIGINAL text.

Entries
    A listed entry is its token sequence, compared by the concatenation of those tokens
    (its "key"): "bad word", "Bad-Word" and "badword" all have the key "badword". Entries
    without any letter or digit have no key and never match.

Matching
    An entry matches a run of one or more consecutive text tokens whose concatenation
    equals the entry's key. A match always starts and ends on token boundaries, so:

    * "bad word" matches "BAD   word", "bad-word", "b.a.d w.o.r.d", "bäd wörd", "badword";
    * "damn" matches "d a m n", "d-a-m-n", "DAMN!", "🔥damn🔥";
    * "cunt" does NOT match "Scunthorpe"; "ass" does NOT match "class" or "assistant";
      "88" does NOT match "1988".

    The price of catching split-up spellings is that an innocent text whose separate
    words happen to spell an entry ("as s") is flagged too; that is rare in practice
    and preferable to missing "a s s". Look-alike substitutions ("sh1t", "@ss") are not
    caught: list them explicitly if needed.

    Matches are non-overlapping, left to right; at a given start token the longest
    match wins (with "bad" and "bad word" listed, "bad word!" reports "bad word").
    When several entries share a key, the first listed is reported.

Offsets
    ``Match.start``/``Match.end`` index the original Python string (code points), so
    ``text[m.start:m.end] == m.text``. A match starts at the first letter/digit of its
    first token and ends after its last token, including combining marks that follow
    it; separators around the match are not part of it.

Cost
    Construction precomputes every prefix of every key. Scanning from a start token
    extends token by token only while the concatenation is still a prefix of some key,
    so ``find()`` is about O(tokens x longest key) and does not depend on the size of
    the list. Pure-ASCII texts take a regex fast path.

Saving the list
    ``words_clean()`` validates what staff paste: entries are separated by newlines
    and/or commas (or given as a list), trimmed, inner whitespace collapsed, empties
    dropped, duplicates (same key: case-, accent- and punctuation-insensitive) dropped
    keeping the first spelling; entries longer than ``MAX_WORD_LENGTH`` or without any
    letter or digit are rejected with a message.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_WORD_LENGTH", "BadWordMatcher", "Match", "words_clean"]

MAX_WORD_LENGTH = 100

_PREVIEW_LENGTH = 30
_ENTRY_SEPARATORS = re.compile(r"[\r\n,]+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")

# Folded form of one character: a non-empty string of letters/digits for a token
# character, "" for a character that neither separates nor counts (combining marks,
# format characters), None for a separator. Filled lazily; ASCII is precomputed.
_FOLD: dict[str, str | None] = {}


def _strip_marks(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.category(c).startswith("M"))


def _fold_char_uncached(ch: str) -> str | None:
    category = unicodedata.category(ch)
    if category.startswith("M") or category == "Cf":
        return ""
    folded = _strip_marks(_strip_marks(ch).casefold())
    folded = "".join(c for c in folded if c.isalnum())
    return folded or None


def _fold_char(ch: str) -> str | None:
    try:
        return _FOLD[ch]
    except KeyError:
        folded = _FOLD[ch] = _fold_char_uncached(ch)
        return folded


for _code in range(128):
    _fold_char(chr(_code))


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded) for each token of ``text``, offsets into ``text``."""
    if text.isascii():
        return [(m.start(), m.end(), m.group()) for m in _ASCII_TOKEN.finditer(text.lower())]
    tokens: list[tuple[int, int, str]] = []
    start = end = -1
    parts: list[str] = []
    fold: Callable[..., Any] = _FOLD.get  # its default 0 marks "not folded yet"
    for i, ch in enumerate(text):
        folded = fold(ch, 0)
        if folded == 0:
            folded = _fold_char(ch)
        if folded is None:
            if start >= 0:
                tokens.append((start, end, "".join(parts)))
                start = -1
        elif folded == "":
            if start >= 0:
                end = i + 1
        else:
            if start < 0:
                start = i
                parts = []
            parts.append(folded)
            end = i + 1
    if start >= 0:
        tokens.append((start, end, "".join(parts)))
    return tokens


def _key(entry: str) -> str:
    """What an entry matches on: the concatenation of its folded tokens ("" if none)."""
    return "".join(token for _, _, token in _tokens(entry))


def _preview(entry: str) -> str:
    return entry if len(entry) <= _PREVIEW_LENGTH else entry[:_PREVIEW_LENGTH] + "…"


def words_clean(raw: str | Iterable[str]) -> tuple[list[str], list[str]]:
    """Validate a bad-words list as staff enter it.

    ``raw`` is a pasted blob (entries separated by newlines and/or commas) or an iterable
    of entries. Returns ``(clean_words, errors)``: the accepted entries in their original
    order and first spelling, and one staff-facing message per rejected entry.
    """
    entries = _ENTRY_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw)
    clean: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        word = " ".join(str(entry).split())
        if not word:
            continue
        if len(word) > MAX_WORD_LENGTH:
            errors.append(f'Too long ({len(word)} characters, at most {MAX_WORD_LENGTH}): "{_preview(word)}"')
            continue
        key = _key(word)
        if not key:
            errors.append(f'No letters or digits, so it could never match: "{_preview(word)}"')
            continue
        if key in seen:
            continue
        seen.add(key)
        clean.append(word)
    return clean, errors


@dataclass(frozen=True)
class Match:
    """One hit: ``word`` is the listed entry, ``text == original[start:end]``."""

    word: str
    start: int
    end: int
    text: str


class BadWordMatcher:
    """Screens texts against a fixed word list. Build once, call ``find()`` many times."""

    def __init__(self, words: Iterable[str]):
        self._entries: dict[str, str] = {}
        for word in words:
            key = _key(word)
            if key and key not in self._entries:
                self._entries[key] = word
        self._prefixes: frozenset[str] = frozenset(key[:n] for key in self._entries for n in range(1, len(key) + 1))

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches, left to right, longest first at each position."""
        if not self._entries or not text:
            return []
        tokens = _tokens(text)
        prefixes = self._prefixes
        entries = self._entries
        matches: list[Match] = []
        count = len(tokens)
        i = 0
        while i < count:
            joined = tokens[i][2]
            if joined not in prefixes:
                i += 1
                continue
            best = -1
            best_key = ""
            j = i
            while True:
                if joined in entries:
                    best, best_key = j, joined
                j += 1
                if j == count:
                    break
                joined += tokens[j][2]
                if joined not in prefixes:
                    break
            if best < 0:
                i += 1
                continue
            start, end = tokens[i][0], tokens[best][1]
            matches.append(Match(entries[best_key], start, end, text[start:end]))
            i = best + 1
        return matches

    def flagged(self, text: str) -> bool:
        return bool(self.find(text))

    def highlight(self, text: str) -> str:
        """``text`` HTML-escaped, each match wrapped in ``<mark class="bad-word">``."""
        out: list[str] = []
        position = 0
        for match in self.find(text):
            out.append(html.escape(text[position : match.start]))
            out.append(f'<mark class="bad-word" title="matches: {html.escape(match.word)}">')
            out.append(html.escape(match.text))
            out.append("</mark>")
            position = match.end
        out.append(html.escape(text[position:]))
        return "".join(out)
