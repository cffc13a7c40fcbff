"""Turning text into search words the same way for documents, queries and both backends."""

import re
import unicodedata

# Letters and digits of any script; everything else separates words.
WORD_RE = re.compile(r"[^\W_]+")
# Control characters (NUL included) never reach a query or an index.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Words that carry no meaning in a search. Close to PostgreSQL's English list, so that the
# SQLite backend (which keeps every word) and PostgreSQL drop the same ones.
_STOPWORDS = """
    a about after again against all am an and any are as at be because been before being both
    but by can cannot could did do does doing down during each few for from further get got had
    has have having he her here hers him his how i if in into is it its itself just me more most
    my myself no nor not of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours yourself
    dont doesnt didnt isnt arent wasnt im ive id ill wont wouldnt shouldnt couldnt
    ok okay
"""
STOPWORDS = frozenset(_STOPWORDS.split())


# "can't" is one word, "cant", as people often type it.
APOSTROPHE_RE = re.compile(r"(?<=\w)['’](?=\w)")


def fold(text: str) -> str:
    """Lower-case without accents: "Lénalidomide" and "lenalidomide" are the same word."""
    if text.isascii():
        # Most text is plain ASCII, which the normalisations leave as it is and casefold()
        # lowers as lower() does: the same result without walking every character.
        return APOSTROPHE_RE.sub("", CONTROL_RE.sub(" ", text).lower())
    return fold_unicode(text)


def fold_unicode(text: str) -> str:
    """fold() for any text: normalise, lower-case, strip accents."""
    text = CONTROL_RE.sub(" ", unicodedata.normalize("NFKC", text)).casefold()
    text = APOSTROPHE_RE.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def words(text: str) -> list[str]:
    """Every word of the text, folded, stopwords kept."""
    return WORD_RE.findall(fold(text))


def keywords(text: str) -> list[str]:
    """The words that mean something: folded, no stopwords, no single letters."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]
