from django.contrib.auth.backends import ModelBackend

from . import identity
from .models import User
from .validators import normalize_id_number


class IdNumberOrUsernameBackend(ModelBackend):
    """Applicants sign in with their 证件号码, staff accounts with a username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        login = username.strip()
        user = (
            User.objects.filter(username=login).first()
            or User.objects.filter(id_number=normalize_id_number(login)).first()
        )
        if user is None:
            # Spend the same time as a real check so that timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in account on every request: from the cache (accounts/identity.py)."""
        return identity.load(user_id, self.user_can_authenticate)
