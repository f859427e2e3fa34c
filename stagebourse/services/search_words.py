"""The words of the free-text offer search, as both the index and the query see them.

A pupil types « boulangère », « electricite » or « Boulangerie du Centre »; the offer says
« boulangerie », « électricité ». Both sides go through the same steps, in Python, so that
SQLite and PostgreSQL find the same offers:

1. fold: lower case, accents and ligatures removed (« Électricité » -> « electricite »);
2. split into words of letters and digits, dropping one-letter words, the commonest French
   words (« de », « la », « pour »…), which would otherwise match nearly every offer, and
   overlong ones;
3. stem with the French Snowball stemmer (« boulangerie » and « boulangère » -> « boulanger »).

Folding comes before stemming: the stemmer treats « é » as a vowel and « e » alike only once
both are folded, so « électricité » and « electricite » get the same stem.

The query matches a stem as a prefix: « boulanger » stems to « boulang », which must still
find the offers whose stem is « boulanger ».
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

MAX_QUERY_WORDS = 10
MAX_QUERY_LENGTH = 200
# Longer "words" are no words (a pasted link, a row of letters); PostgreSQL would also refuse
# to index one over 2047 bytes, and SQLite would not: both leave them out.
MAX_WORD_LENGTH = 60

_WORD = re.compile(r"[a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
STOP_WORDS = frozenset("""
    au aux avec ce ces cet cette chez dans de des du elle elles en est et il ils je la le les
    leur leurs lui ma mes moi mon ne nos notre nous on ou par pas pour qu que qui sa sans se
    ses son sont sous sur ta te tes toi ton tu un une vos votre vous
""".split())

_local = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


def fold(text: str) -> str:
    """``text`` in lower case without accents or ligatures."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """The French stem of a folded word."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return str(stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """The stems of the words of ``text`` that a search can match, in order."""
    return [stem(word) for word in _WORD.findall(fold(text))
            if 1 < len(word) <= MAX_WORD_LENGTH and word not in STOP_WORDS]


def document(*texts: str) -> str:
    """What the index stores for an offer: its distinct stems, separated by spaces."""
    return " ".join(dict.fromkeys(stem for text in texts for stem in words(text)))


def query_terms(query: str | None) -> list[str]:
    """The distinct stems of a typed query, at most ``MAX_QUERY_WORDS``; an offer must match
    each of them (as a prefix). Empty when the query has no word a search can use."""
    if not query:
        return []
    return list(dict.fromkeys(words(query[:MAX_QUERY_LENGTH])))[:MAX_QUERY_WORDS]
