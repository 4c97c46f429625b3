"""URL converters: ids in paths are bounded as they are everywhere else (core/inputs.py), so an
address with a 30-digit id is a 404, never a database error."""
from .inputs import ID_DIGITS, ID_MAX


class IdConverter:
    """<id:pk>: ASCII digits within a BIGINT."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value):
        number = int(value)
        if not 0 < number <= ID_MAX:
            raise ValueError("id out of range")  # the resolver then tries the next pattern: 404
        return number

    def to_url(self, value):
        return str(value)
