"""What the engine answers, in the terms the rules tests compare: a credit's two columns, and a
refusal's message with the fact it names (the field a form marks)."""

import pytest

from hours import rules


def hours(result):
    return (result.public, result.professional)


def refusal(call, *args, **kwargs):
    """The message and the named fact of the RuleError a call raises."""
    with pytest.raises(rules.RuleError) as error:
        call(*args, **kwargs)
    return str(error.value), error.value.fact
