"""Hypothesis strategies for what people type and paste: the values the generated-input tests post
to every form and put in every query string. Not random noise only: the pieces real offices produce
(full-width digits from a Chinese input method, control characters and zero-width spaces pasted
from Word, numbers written as 1e309, dates from another millennium)."""
from hypothesis import strategies as st

# Every code point, surrogates and controls included (Hypothesis leaves surrogates out by default).
any_character = st.characters(exclude_categories=())

PASTED = [
    "\x0b", "\x07", "\x00", "\x1b", "\x7f", "\x85", "\u200b", "\ufeff", "\u00ad", "\u202e", "\u2028", "\r\n", "\t",
    "\ud800", "\udfff", "\ufffd", "\uffff", "\U0010ffff", "\ue000",
]
FULL_WIDTH_DIGITS = "０１２３４５６７８９"

# Pieces that mean something to one of the portal's fields, typed in the ways people type them.
MEANINGFUL = [
    "", " ", "0", "-1", "1", "08", "2023", "２０２３", "1e309", "-1e309", "inf", "-inf", "nan", "NaN", "Infinity",
    "9" * 20, "9" * 400, "18446744073709551616", "9223372036854775808", "0.0000001", "1.", ".5", "1,000", "²", "٣",
    "0001-01-01", "9999-12-31", "2023-02-30", "2023-13-01", "2023/06/01", "２０２３－０６－０１", "1899-12-31", "2101-01-01",
    "430121198805041015", "４３０１２１１９８８０５０４１０１５", "43012119880504101X", "43012119880504101x", "430121208805041014",
    "13807310001", "１３８０７３１０００１", "张三", "宋庆涛", "湖南省地质研究所", "<script>alert(1)</script>", "=HYPERLINK(\"x\")",
    "'; DROP TABLE x; --", "%00", "%ED%A0%80", "../../etc/passwd", "true", "on", "approve", "reject", "bureau", "superior",
]


def pasted_text(max_size=30):
    """Text as it arrives from a paste: ordinary characters mixed with the invisible ones."""
    return st.lists(st.one_of(any_character, st.sampled_from(PASTED), st.sampled_from(FULL_WIDTH_DIGITS)), max_size=max_size).map("".join)


def typed_value():
    """One value for any field: a meaningful piece, pasted text, a very long string, or a piece
    with something pasted around it."""
    return st.one_of(
        st.sampled_from(MEANINGFUL),
        pasted_text(),
        st.builds(lambda piece, pad: pad + piece + pad, st.sampled_from(MEANINGFUL), st.sampled_from(PASTED)),
        st.sampled_from(["x" * 10_000, "长" * 5_000, "1" * 10_000]),
    )
