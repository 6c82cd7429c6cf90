"""Bad-words screening throughput.

    .venv/bin/python bench/screening.py [--texts 100000] [--words 1000] [--seed 7]

Generates a deterministic word list (made-up words, so no real profanity lives in the
repository: single words and 2-word phrases, some accented) and realistic
personalisation texts (names, short phrases, 1-6 words; ~2% contain a listed entry,
many with evasions; ~1% contain a listed word inside a longer innocent word), then
times building a BadWordMatcher, screening every text with it, and a plain substring
scan baseline (lowercased text, ``any(w in text for w in words)``) over the same data.
Reports figures only: no assertion on time.
"""

import argparse
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orders.services.screening import BadWordMatcher  # noqa: E402

SYLLABLES = [
    "bl", "kr", "zan", "vor", "gix", "tup", "mel", "drak", "fen", "quo", "sk", "wib", "rut", "plo",
    "nex", "jar", "hov", "tri", "gub", "sna", "orf", "yel", "bim", "cruz", "ak", "ul", "ez", "oth",
]  # fmt: skip
VOWELS = "aeiouy"
ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "y": "ÿ"}

FIRST_NAMES = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Leo", "Chloé", "Hugo", "Zoë", "José",
    "Anna", "Max", "Sofia", "Ben", "Grace", "Jack", "Ella", "Sam", "Lily", "Tom", "Nora", "Finn",
    "Björn", "Agnès", "Renée", "Mateo", "Ines", "Oscar", "Ruby", "Theo", "Maya", "Eli", "Isla", "Kai",
]  # fmt: skip
SURNAMES = [
    "Smith", "Martin", "Dubois", "Müller", "García", "Rossi", "Jensen", "O'Brien", "Nguyen", "Kowalski",
    "Brown", "Lefèvre", "Silva", "Novak", "Andersson", "Clarke", "Moreau", "Schmidt", "Costa", "Walsh",
]  # fmt: skip
PHRASES = [
    "Happy birthday", "Best dad ever", "Love you mom", "#1 Grandma", "Team bride", "Just married",
    "Class of 2025", "World's best boss", "Est. 1987", "Merry Christmas", "Stay wild", "Good vibes only",
    "Coffee first", "Ride or die", "Mr & Mrs", "Bonne fête", "Feliz cumpleaños", "Keep calm",
    "Hello there", "Little brother", "Big sister", "Our first home", "Dream big", "Game on",
]  # fmt: skip
EMOJI = ["❤️", "🎉", "🔥", "✨", "🌸", "⚽", "🎂", "👑"]


def make_words(rng: random.Random, count: int) -> list[str]:
    def pseudo_word() -> str:
        word = "".join(rng.choice(SYLLABLES) + rng.choice(VOWELS) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.1:
            word = "".join(ACCENTED.get(c, c) if rng.random() < 0.5 else c for c in word)
        return word

    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        entry = pseudo_word() if rng.random() < 0.75 else f"{pseudo_word()} {pseudo_word()}"
        if entry not in seen:
            seen.add(entry)
            words.append(entry)
    return words


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def evade(rng: random.Random, entry: str) -> str:
    """A listed entry as a customer might type it."""
    style = rng.randrange(7)
    if style == 0:
        return entry
    if style == 1:
        return entry.upper()
    if style == 2:
        return entry.title()
    if style == 3:
        return " ".join(entry.replace(" ", ""))  # "b a d w o r d"
    if style == 4:
        return rng.choice(".-_*").join(entry.replace(" ", ""))  # "b.a.d.w.o.r.d"
    if style == 5:
        return strip_accents(entry).replace(" ", "   ")
    return "".join(ACCENTED.get(c, c) for c in entry)  # accented variant


def innocent_text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        text = rng.choice(FIRST_NAMES)
    elif kind < 0.6:
        text = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    elif kind < 0.9:
        text = rng.choice(PHRASES)
        if rng.random() < 0.4:
            text = f"{text} {rng.choice(FIRST_NAMES)}"
    else:
        text = f"{rng.choice(FIRST_NAMES)} & {rng.choice(FIRST_NAMES)} {rng.randint(1970, 2025)}"
    if rng.random() < 0.1:
        text = f"{text} {rng.choice(EMOJI)}"
    return " ".join(text.split()[:6])


def make_texts(rng: random.Random, count: int, words: list[str]) -> tuple[list[str], list[bool]]:
    """The texts, and for each whether a listed entry was planted in it."""
    singles = [w for w in words[:50] if " " not in w] or words
    texts, planted = [], []
    for _ in range(count):
        roll = rng.random()
        text = innocent_text(rng)
        if roll < 0.02:  # contains a listed entry
            hit = evade(rng, rng.choice(words))
            text = f"{text} {hit}" if rng.random() < 0.5 else f"{hit} {rng.choice(EMOJI)} {rng.choice(FIRST_NAMES)}"
        elif roll < 0.03:  # a listed word inside a longer innocent word (the Scunthorpe case)
            text = (
                f"{text} {rng.choice(['Sun', 'Mega', 'Tri'])}{rng.choice(singles)}{rng.choice(['ton', 'ly', 'ville'])}"
            )
        texts.append(text)
        planted.append(roll < 0.02)
    return texts, planted


def summary(flags: list[bool], planted: list[bool]) -> str:
    caught = sum(f and p for f, p in zip(flags, planted, strict=True))
    wrong = sum(f and not p for f, p in zip(flags, planted, strict=True))
    return f"flagged {sum(flags)}: caught {caught}/{sum(planted)} planted, {wrong} innocent texts flagged"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    words = make_words(rng, args.words)
    texts, planted = make_texts(rng, args.texts, words)
    phrases = sum(" " in w for w in words)
    accented = sum(not w.isascii() for w in words)
    print(f"word list: {len(words)} entries ({phrases} two-word phrases, {accented} accented)")
    print(f"texts:     {len(texts)} (mean {sum(map(len, texts)) / len(texts):.1f} characters)")

    started = time.perf_counter()
    matcher = BadWordMatcher(words)
    build = time.perf_counter() - started

    started = time.perf_counter()
    flags = [matcher.flagged(text) for text in texts]
    screen = time.perf_counter() - started

    lowered = [w.lower() for w in words]
    started = time.perf_counter()
    baseline_flags = []
    for text in texts:
        text = text.lower()
        baseline_flags.append(any(w in text for w in lowered))
    baseline = time.perf_counter() - started

    rate, baseline_rate = len(texts) / screen, len(texts) / baseline
    print(f"build matcher:   {build * 1000:8.1f} ms")
    print(f"matcher:         {screen:8.2f} s  {rate:>10,.0f} texts/s  {summary(flags, planted)}")
    print(f"substring scan:  {baseline:8.2f} s  {baseline_rate:>10,.0f} texts/s  {summary(baseline_flags, planted)}")
    print(f"ratio:           matcher throughput = {rate / baseline_rate:.2f} x the substring scan's")


if __name__ == "__main__":
    main()
