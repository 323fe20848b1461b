"""Hand features of a word and its neighbours, the inputs of the feature-logreg tagger.

Each word gets string features "name=value": the word lower-cased, its shape ("Xxxx", "dd", "X."),
prefixes and suffixes of 1-3 letters, whether it is title-case, upper-case, a number or holds a hyphen,
whether it starts or ends the sentence, and the lower-cased word and shape of the words before and after
(with sentence-boundary markers). Deterministic: the same sentence gives the same features.
"""

from __future__ import annotations

from collections.abc import Sequence

BOS, EOS = "<s>", "</s>"


def shape(word: str) -> str:
    """Letters as X/x, digits as d, other characters kept; runs of one kind collapsed ("McDonald's" -> "XxXx'x")."""
    out: list[str] = []
    for ch in word:
        kind = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def word_features(words: Sequence[str], position: int) -> list[str]:
    word = words[position]
    lower = word.lower()
    features = ["bias", f"w={lower}", f"shape={shape(word)}"]
    features += [f"p{n}={lower[:n]}" for n in (1, 2, 3) if len(lower) >= n]
    features += [f"s{n}={lower[-n:]}" for n in (1, 2, 3) if len(lower) >= n]
    for name, flag in (("title", word.istitle()), ("upper", word.isupper()), ("digit", word.isdigit()),
                       ("hyphen", "-" in word), ("first", position == 0), ("last", position == len(words) - 1)):
        if flag:
            features.append(name)
    for offset in (-1, 1):
        at = position + offset
        if 0 <= at < len(words):
            features += [f"w{offset:+d}={words[at].lower()}", f"shape{offset:+d}={shape(words[at])}"]
        else:
            features.append(f"w{offset:+d}={BOS if offset < 0 else EOS}")
    return features


def sentence_features(words: Sequence[str]) -> list[list[str]]:
    return [word_features(words, position) for position in range(len(words))]
