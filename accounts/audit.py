"""The accounts' audit trail (AccountEvent): one row per membership decision, role grant or
removal, password reset or change, staff enrolment, lock-out and second-factor change. Recorded in
the transaction of the change it describes, so a change rolled back leaves no entry."""
from axes.helpers import get_failure_limit
from django.db.models import Q

from core.masking import mask_id_number
from core.proxy import client_ip

from .models import AccountAction, AccountEvent, User
from .validators import is_id_number, normalize_login


def record(action, *, actor=None, subject=None, organisation=None, request=None, address=None, **details):
    """Append one entry. `actor` None means nobody signed in (self-service recovery) or the system;
    the address is read from `request` as the lock-out and rate limits read it, or given as `address`
    by work done away from the request (a background job)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AccountEvent.objects.create(
        action=action,
        actor=actor,
        subject=subject,
        organisation=organisation,
        ip_address=client_ip(request) if request is not None else address,
        details=details,
    )


def record_role(action, grant, *, actor=None, request=None):
    """A role granted or removed: the grant's holder, role and organisation (the row itself may be gone)."""
    return record(
        action, actor=actor, subject=grant.user, organisation=grant.organisation, request=request,
        role=grant.role, role_label=grant.get_role_display(),
    )


def record_lockout(sender, request=None, username=None, **kwargs):
    """django-axes' user_locked_out: the account locked, if the login names one, and the address.
    The login is kept masked when it is an 证件号码 (whoever reads the trail need not see it).
    Axes sends the signal again at each wrong try while locked (each one restarts the wait): only
    the try that reaches the limit starts a lock-out."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures > get_failure_limit(request, getattr(request, "axes_credentials", None)):
        return
    login = normalize_login(username)
    subject = User.objects.filter(Q(username=login) | Q(id_number=login)).first() if login else None
    shown = mask_id_number(login) if is_id_number(login) else login
    record(
        AccountAction.LOCKOUT, subject=subject, organisation=subject.organisation if subject else None,
        request=request, username=shown,
    )


def record_device_removed(device, *, actor=None, request=None, how):
    """A bound (or half-bound) authenticator deleted: its owner must bind one anew."""
    return record(
        AccountAction.SECOND_FACTOR_REMOVE, actor=actor, subject=device.user, organisation=device.user.organisation,
        request=request, device=device.name, confirmed=device.confirmed, how=how,
    )
