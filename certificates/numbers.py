"""Certificate numbers: XS2024-7K3P-9QXM-2FD5.

``XS`` and the year of issue, then eleven random characters of Crockford's base-32 alphabet (no I,
L, O, U: nothing to misread) and one check character, so numbers cannot be guessed
or walked through, and a mistyped number is told apart from an unknown one without a look-up
(Damm's check over GF(32): every wrong character and every swap of neighbours is caught)."""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
# Crockford's reading of look-alikes, so a number read off paper still matches.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
PREFIX = "XS"
RANDOM_LENGTH = 11
_COMPACT = re.compile(rf"^{PREFIX}(\d{{4}})([{ALPHABET}]{{{RANDOM_LENGTH + 1}}})$")


def _times_x(value):
    """Multiplication by x in GF(32) = GF(2)[x]/(x⁵ + x² + 1)."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _fold(chars):
    """Damm's scheme over the quasigroup a∘b = x·a + b of GF(32): totally anti-symmetric, so
    folding a number with its check character gives 0, and any single wrong character or any swap
    of two neighbours (the check character included) gives something else."""
    interim = 0
    for char in chars:
        interim = _times_x(interim) ^ _INDEX[char]
    return interim


def check_character(body):
    return ALPHABET[_times_x(_fold(body))]


def _format(year, body):
    code = body + check_character(body)
    return f"{PREFIX}{year}-{code[0:4]}-{code[4:8]}-{code[8:12]}"


def new_number(year):
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return _format(year, body)


def normalize(text):
    """The canonical form of a number as typed or scanned (any case, spaces or hyphens anywhere,
    O for 0 and I/L for 1), or None when it is not a well-formed number."""
    if not isinstance(text, str) or len(text) > 60:
        return None
    compact = re.sub(r"[\s\-－—_]", "", text).upper()
    if not compact.startswith(PREFIX):
        return None
    compact = PREFIX + compact[len(PREFIX):].translate(_LOOKALIKES)
    match = _COMPACT.match(compact)
    if not match:
        return None
    year, code = match.groups()
    if _fold(code) != 0:
        return None
    return _format(year, code[:-1])
