"""A to Z order for every list patients read, the same on SQLite and PostgreSQL."""

import string
import unicodedata

# Letters that casefold() and NFKD leave whole, but that readers file under plain letters.
_WHOLE_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th"})
# The heading for names that do not start with a letter A to Z; it comes after Z.
OTHER = "Other"


def sort_key(text: str) -> str:
    """Lower-case without accents: "BCG" files with "Basal", "Œdème" with "Oedema"."""
    # In Python, not the database: SQLite's default collation is by code point (capitals
    # first) and PostgreSQL's depends on the server's locale.
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_WHOLE_LETTERS)
    return "".join(c for c in folded if not unicodedata.combining(c))


def letter_of(text: str) -> str:
    """The A to Z heading a name files under: its first letter without accents, or OTHER."""
    for char in sort_key(text):
        if char.isalnum():
            return char.upper() if char in string.ascii_lowercase else OTHER
    return OTHER
