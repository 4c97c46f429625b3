"""Where the domain says "one" (one registration per ID number, one open declaration per span, one
item per paper), a unique constraint says it too, and the service checks first so that it can
refuse in the user's words. Two requests (a double click, two tabs) can both pass that check
before either writes; then the constraint refuses the second one's write, and this module turns
that IntegrityError into the service's own refusal."""
from contextlib import contextmanager

from django.db import IntegrityError


@contextmanager
def refused_on_conflict(refusal):
    """Run the block; if a unique constraint refuses its write, raise what `refusal()` — asked
    again now that the other request has committed — returns (a ValidationError), or the
    IntegrityError itself when that is None. Open the block's transaction.atomic() inside this,
    so that the refused write is rolled back before `refusal()` reads."""
    try:
        yield
    except IntegrityError:
        found = refusal()
        if found is None:
            raise
        raise found from None
