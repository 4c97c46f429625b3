"""Certificate numbers: unguessable, typed any old way, and a typo is told apart from an unknown
number without a database look-up."""
import re

from hypothesis import given
from hypothesis import strategies as st

from certificates import numbers

CHARS = st.sampled_from(numbers.ALPHABET)
BODIES = st.text(alphabet=numbers.ALPHABET, min_size=numbers.RANDOM_LENGTH, max_size=numbers.RANDOM_LENGTH)


def test_new_numbers_have_the_printed_form_and_differ():
    made = {numbers.new_number(2024) for _ in range(500)}
    assert len(made) == 500
    assert all(re.fullmatch(r"XS2024-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", n) for n in made)
    assert all(numbers.normalize(n) == n for n in made)


def test_numbers_are_read_the_way_people_type_them():
    n = numbers.new_number(2024)
    compact = n.replace("-", "")
    assert numbers.normalize(compact.lower()) == n
    assert numbers.normalize(" " + n.replace("-", " ") + " ") == n
    assert numbers.normalize(n.replace("0", "O").replace("1", "I").replace("-", "—")) == n


def test_malformed_input_is_none():
    for text in ["", "XS", "XS2024", "XS2024-0000-0000-000", "AB2024-0000-0000-0000", "XS2024-UUUU-0000-0000", None, 42, "x" * 500]:
        assert numbers.normalize(text) is None


@given(BODIES, st.integers(min_value=0, max_value=numbers.RANDOM_LENGTH), CHARS)
def test_any_single_wrong_character_is_caught(body, position, char):
    number = numbers._format(2024, body)
    compact = number.replace("-", "")
    i = len("XS2024") + position
    if compact[i] == char:
        return
    typo = compact[:i] + char + compact[i + 1:]
    assert numbers.normalize(typo) is None


@given(BODIES, st.integers(min_value=0, max_value=numbers.RANDOM_LENGTH - 1))
def test_any_swap_of_two_neighbours_is_caught(body, position):
    compact = numbers._format(2024, body).replace("-", "")
    i = len("XS2024") + position
    if compact[i] == compact[i + 1]:
        return
    swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
    assert numbers.normalize(swapped) is None
