"""Bad-words screening: pure Python, no database."""

import pytest

from orders.services.screening import MAX_WORD_LENGTH, BadWordMatcher, Match, words_clean

LIST = ["damn", "bad", "bad word", "cunt", "ass", "Café", "hell", "1488", "88", "straße", "fig leaf"]

# (word list, text, expected flagged, expected matched slice of the original text or None)
TABLE = [
    # letter case
    (LIST, "damn", True, "damn"),
    (LIST, "DAMN!", True, "DAMN"),
    (LIST, "Well DaMn it", True, "DaMn"),
    # spacing and punctuation inside a listed entry
    (LIST, "d a m n", True, "d a m n"),
    (LIST, "d-a-m-n", True, "d-a-m-n"),
    (LIST, "d.a.m.n.", True, "d.a.m.n"),
    (LIST, "Oh d_a_m_n!", True, "d_a_m_n"),
    (LIST, "da\u200bmn", True, "da\u200bmn"),  # zero-width space inside
    # multi-word phrases
    (LIST, "such a BAD   word", True, "BAD   word"),
    (LIST, "bad-word", True, "bad-word"),
    (LIST, "b.a.d w.o.r.d", True, "b.a.d w.o.r.d"),
    (LIST, "badword", True, "badword"),
    (["fig leaf"], "Fig\n\tLeaf", True, "Fig\n\tLeaf"),
    (["fig leaf"], "fig leafs", False, None),
    (["fig leaf"], "fig tree leaf", False, None),
    # accents and other Unicode variants
    (LIST, "bäd wörd", True, "bäd wörd"),
    (LIST, "CAFE au lait", True, "CAFE"),
    (LIST, "cafe\u0301 noir", True, "cafe\u0301"),  # decomposed accent stays in the slice
    (LIST, "Ｄａｍｎ", True, "Ｄａｍｎ"),  # full-width letters
    (LIST, "Strasse 5", True, "Strasse"),
    # overlapping entries: longest wins at a position
    (LIST, "bad word!", True, "bad word"),
    (LIST, "bad words", True, "bad"),
    # innocent words that merely contain a listed word
    (LIST, "Scunthorpe United", False, None),
    (LIST, "First class", False, None),
    (LIST, "Ask my assistant", False, None),
    (LIST, "Hello there", False, None),
    (LIST, "Shellfish", False, None),
    (LIST, "Badminton club", False, None),
    (LIST, "Cafeteria", False, None),
    # digits
    (LIST, "Route 88", True, "88"),
    (LIST, "Born 1988", False, None),
    (LIST, "14 88", True, "14 88"),
    (LIST, "Team 2488", False, None),
    # emoji and symbols around words
    (LIST, "🔥damn🔥", True, "damn"),
    (LIST, "❤️ass❤️", True, "ass"),
    (LIST, "I ❤️ my class 🎓", False, None),
    # empty text, empty list, entries without letters
    (LIST, "", False, None),
    (LIST, "   !!! 🎉 ", False, None),
    ([], "damn bad word", False, None),
    (["", "   ", "!!!"], "!!! damn", False, None),
]


@pytest.mark.parametrize(("words", "text", "flagged", "matched"), TABLE)
def test_screening_table(words, text, flagged, matched):
    matcher = BadWordMatcher(words)
    matches = matcher.find(text)

    assert matcher.flagged(text) is flagged
    assert bool(matches) is flagged
    if matched is not None:
        assert matches[0].text == matched
    for m in matches:
        assert text[m.start : m.end] == m.text


def test_match_reports_the_listed_entry_and_offsets():
    matcher = BadWordMatcher(["Bad Word", "damn"])
    text = "Oh d-a-m-n, what a BÄD word"

    assert matcher.find(text) == [
        Match(word="damn", start=3, end=10, text="d-a-m-n"),
        Match(word="Bad Word", start=19, end=27, text="BÄD word"),
    ]


def test_matches_are_left_to_right_and_non_overlapping():
    matcher = BadWordMatcher(["ab", "bc", "abc d"])
    text = "a b c d, b c"

    found = matcher.find(text)

    assert [(m.word, m.text) for m in found] == [("abc d", "a b c d"), ("bc", "b c")]
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def test_first_listed_spelling_wins_for_equivalent_entries():
    matcher = BadWordMatcher(["bad word", "BAD-WORD", "badword"])

    assert len(matcher) == 1
    assert matcher.find("badword")[0].word == "bad word"


def test_matcher_is_reusable_across_texts():
    matcher = BadWordMatcher(["damn"])

    assert [matcher.flagged(t) for t in ["damn", "fine", "D A M N", "damnation"]] == [True, False, True, False]


def test_highlight_escapes_html_and_wraps_the_match():
    matcher = BadWordMatcher(["bad word"])

    html = matcher.highlight('<script>alert("x")</script> & a BAD-word')

    assert html == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; a "
        '<mark class="bad-word" title="matches: bad word">BAD-word</mark>'
    )
    assert "<script>" not in html


def test_highlight_escapes_the_entry_in_the_title():
    matcher = BadWordMatcher(['bad "word" <b>'])

    assert matcher.highlight("bad word b") == (
        '<mark class="bad-word" title="matches: bad &quot;word&quot; &lt;b&gt;">bad word b</mark>'
    )


def test_highlight_without_matches_only_escapes():
    assert BadWordMatcher(["damn"]).highlight("Tom & Jerry <3") == "Tom &amp; Jerry &lt;3"
    assert BadWordMatcher([]).highlight("<b>") == "&lt;b&gt;"


# words_clean


def test_words_clean_trims_and_collapses_whitespace():
    assert words_clean(["  damn  ", "bad \t  word"]) == (["damn", "bad word"], [])


def test_words_clean_drops_empties():
    assert words_clean(["", "  ", "damn", "\n"]) == (["damn"], [])


def test_words_clean_drops_duplicates_case_and_accent_insensitively_keeping_the_first():
    words, errors = words_clean(["Café", "cafe", "CAFÉ", "damn", "DAMN", "bad word", "Bad  Word"])

    assert words == ["Café", "damn", "bad word"]
    assert errors == []


def test_words_clean_splits_a_pasted_blob_on_commas_and_newlines():
    blob = "damn, hell\r\nbad word\n\n, ,Café\ncafe,\nfig leaf"

    assert words_clean(blob) == (["damn", "hell", "bad word", "Café", "fig leaf"], [])


def test_words_clean_rejects_over_long_entries_with_a_message():
    long_entry = "a" * 143
    words, errors = words_clean(["damn", long_entry, "x" * MAX_WORD_LENGTH])

    assert words == ["damn", "x" * MAX_WORD_LENGTH]
    assert errors == [f'Too long (143 characters, at most {MAX_WORD_LENGTH}): "{"a" * 30}…"']


def test_words_clean_measures_length_after_trimming():
    words, errors = words_clean(["   " + "y" * MAX_WORD_LENGTH + "   "])

    assert words == ["y" * MAX_WORD_LENGTH]
    assert errors == []


def test_words_clean_rejects_entries_without_letters_or_digits():
    words, errors = words_clean("damn\n!!!\n🔥🔥")

    assert words == ["damn"]
    assert errors == [
        'No letters or digits, so it could never match: "!!!"',
        'No letters or digits, so it could never match: "🔥🔥"',
    ]


def test_words_clean_keeps_order_and_accepts_any_iterable():
    assert words_clean(w for w in ["zeta", "alpha", "Zeta"]) == (["zeta", "alpha"], [])


def test_words_clean_output_feeds_the_matcher():
    words, _ = words_clean("Damn\nbad word\n")

    assert BadWordMatcher(words).flagged("B A D - W O R D")
