"""fold()'s fast path for plain ASCII gives exactly what the full Unicode path gives."""

import string

import pytest

from drugs.search.text import fold, fold_unicode

SAMPLES = [
    "Lenalidomide",
    "Can't POO? Call 111.",
    "It's 38°C",
    "don’t stop",
    "'quoted' words_with_underscores",
    "tabs\tnew\nlines\r and \x00 NUL \x1f \x7f DEL",
    "Lénalidomide",
    "ＦＵＬＬ ｗｉｄｔｈ",
    "Straße",
    "ﬁnger",
    "İstanbul",
    "naïve café Ångström",
    "x²",
    "Ⅻ",
    "",
    string.printable,
    "".join(chr(i) for i in range(128)),
]


@pytest.mark.parametrize("text", SAMPLES)
def test_it_folds_the_same_either_way(text):
    assert fold(text) == fold_unicode(text)


def test_it_lowers_ascii_and_drops_apostrophes_inside_words():
    assert fold("Can't POO\x00now") == "cant poo now"
