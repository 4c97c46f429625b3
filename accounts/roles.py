"""What a signed-in person may do: their role grants, read once per request."""
from .models import Role, RoleGrant


def grants(user):
    """(role, organisation) pairs of the user, cached on the user object for the request."""
    if not user.is_authenticated:
        return ()
    cached = getattr(user, "_role_grants_cache", None)
    if cached is None:
        cached = tuple(
            (g.role, g.organisation) for g in RoleGrant.objects.filter(user=user).select_related("organisation")
        )
        user._role_grants_cache = cached
    return cached


def roles_of(user):
    return {role for role, _ in grants(user)}


def has_role(user, *roles):
    return bool(roles_of(user) & set(roles))


def organisations_for(user, role):
    """The organisations for which the user holds an administrative role."""
    return [org for r, org in grants(user) if r == role and org is not None]


def is_sysadmin(user):
    return user.is_authenticated and (user.is_superuser or Role.SYSADMIN in roles_of(user))


def forget(user):
    user.__dict__.pop("_role_grants_cache", None)
