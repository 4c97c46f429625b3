import pytest

from accounts.models import AccountEvent


@pytest.fixture
def demo(demo):
    """The demo, without the audit rows its loading wrote (role grants, confirmations): each test
    counts the rows its own actions leave."""
    AccountEvent.objects.all().delete()
    return demo
