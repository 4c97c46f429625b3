"""Every change to organisations, people, roles and memberships goes through these functions."""
import logging
import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.constraints import refused_on_conflict

from . import roles
from .models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, RoleGrant, User
from .signals import person_moved
from .validators import gender_from_id_number, normalize_id_number

security_log = logging.getLogger("accounts.security")


def organisation_create(*, name, uscc, kind=OrganisationKind.UNIT, nature, parent=None, bureau=None, **fields):
    """Create a unit below `parent` (its superior unit or supervising department), or a root."""
    node = Organisation(name=name, uscc=uscc.strip().upper(), kind=kind, nature=nature, bureau=bureau, **fields)
    if kind != OrganisationKind.BUREAU and bureau is None and parent is not None:
        node.bureau = parent.approving_bureau()
    node.full_clean(exclude=["path", "depth", "numchild"])
    with transaction.atomic():
        if parent is None:
            return Organisation.objects.add_root(instance=node)
        return Organisation.objects.add_child(parent, instance=node)


def role_grant(*, user, role, organisation=None, granted_by=None):
    grant = RoleGrant(user=user, role=role, organisation=organisation, granted_by=granted_by)
    grant.full_clean(exclude=["user"], validate_unique=False)
    grant, _ = RoleGrant.objects.get_or_create(
        user=user, role=role, organisation=organisation, defaults={"granted_by": granted_by}
    )
    if role == Role.SYSADMIN and not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    roles.forget(user)
    return grant


def staff_account_create(*, username, name, password, phone="", role, organisation=None, id_number=None):
    """An account for a unit administrator, department administrator, bureau clerk or system administrator."""
    with transaction.atomic():
        user = User(username=username, name=name, phone=phone, id_number=normalize_id_number(id_number) or None)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        role_grant(user=user, role=role, organisation=organisation)
    return user


ALREADY_REGISTERED = "该证件号码已注册，请直接登录；如忘记密码请联系单位管理员。"


def _already_registered(id_number):
    """The refusal of a number registered already (as an ID number, or as the username it becomes), else None."""
    if User.objects.filter(Q(id_number=id_number) | Q(username=id_number)).exists():
        return ValidationError({"id_number": ALREADY_REGISTERED})
    return None


def person_register(*, id_number, name, phone, password, organisation, **profile):
    """Self-registration of a professional: the account exists at once, but may declare only
    after the chosen unit's administrator confirms the membership. A number registered already —
    also by a request that got there first, from a second tab or a double click — is refused as
    the form refuses it (ValidationError on id_number), never a server error."""
    id_number = normalize_id_number(id_number)
    if organisation.kind == OrganisationKind.BUREAU:
        raise ValidationError({"organisation": "请选择您所在的用人单位，人社部门不能作为工作单位。"})
    user = User(username=id_number, id_number=id_number, name=name.strip(), phone=phone, **profile)
    if not user.gender:
        user.gender = gender_from_id_number(id_number)
    user.set_password(password)
    # Uniqueness is checked below as one message for the number (the username is the number).
    user.full_clean(exclude=["password"], validate_unique=False)
    # Both requests may pass the check; the unique index then lets the first one in (PostgreSQL).
    with refused_on_conflict(lambda: _already_registered(id_number)), transaction.atomic():
        already = _already_registered(id_number)
        if already:
            raise already
        user.save()
        RoleGrant.objects.create(user=user, role=Role.APPLICANT)
        Membership.objects.create(person=user, organisation=organisation)
    return user


def membership_request(*, person, organisation):
    """Ask to join (or move to) a unit; the unit's administrator confirms."""
    if organisation.kind == OrganisationKind.BUREAU:
        raise ValidationError("请选择用人单位，人社部门不能作为工作单位。")
    if person.organisation_id == organisation.pk:
        raise ValidationError("您已是该单位的人员，无需重复申请。")
    with transaction.atomic():
        if Membership.objects.select_for_update().filter(person=person, status=MembershipStatus.PENDING).exists():
            raise ValidationError("您已有一个待单位确认的申请，请等待确认或撤回后再申请。")
        return Membership.objects.create(person=person, organisation=organisation)


def membership_withdraw(*, membership, actor):
    if membership.person_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if locked is None:  # withdrawn by a second tab or the first of a double click
            raise ValidationError("该申请已撤回。", code="gone")
        if locked.status != MembershipStatus.PENDING:
            raise ValidationError("该申请已被处理，无法撤回。")
        locked.delete()


def _lock_pending_for_admin(membership, actor):
    locked = Membership.objects.select_for_update().select_related("organisation", "person").filter(pk=membership.pk).first()
    if locked is None:  # the person withdrew it (withdrawing deletes the request) since the page was read
        raise ValidationError("该申请已被申请人撤回。", code="gone")
    if locked.organisation not in roles.organisations_for(actor, Role.UNIT_ADMIN):
        raise PermissionDenied("只有该单位的管理员可以确认人员。")
    if locked.status != MembershipStatus.PENDING:
        raise ValidationError(f"该申请已是“{locked.get_status_display()}”状态，无需再次处理。")
    return locked


def membership_confirm(*, membership, actor):
    with transaction.atomic():
        locked = _lock_pending_for_admin(membership, actor)
        now = timezone.now()
        previous = Membership.objects.filter(person=locked.person, status=MembershipStatus.ACTIVE).values_list(
            "organisation_id", flat=True
        ).first()
        Membership.objects.filter(person=locked.person, status=MembershipStatus.ACTIVE).update(
            status=MembershipStatus.ENDED, ended_at=now
        )
        locked.status = MembershipStatus.ACTIVE
        locked.decided_at = now
        locked.decided_by = actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        User.objects.filter(pk=locked.person_id).update(organisation=locked.organisation)
        person_moved.send(
            sender=Membership, person_id=locked.person_id, organisation_id=locked.organisation_id, previous_id=previous
        )
    return locked


def membership_reject(*, membership, actor, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写不通过的原因。")
    with transaction.atomic():
        locked = _lock_pending_for_admin(membership, actor)
        locked.status = MembershipStatus.REJECTED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    return locked


def totp_device_start(*, user):
    """The authenticator being bound for the user: the same one until it is confirmed, so that a
    QR code scanned before a page reload still works."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


def totp_check(*, device, token):
    """Check a one-time code against the device; the first code accepted confirms a device being
    bound. django-otp refuses a code already accepted (its time step must move on) and, after each
    wrong code, any code for 1, 2, 4, 8 … seconds. Raises ValidationError saying why."""
    with transaction.atomic():
        # Locked, so that two requests cannot both spend one code.
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk).first()
        if device is None:  # the system administrator unbound it while the code was being typed
            raise ValidationError("身份验证器已被管理员解除绑定，请重新登录后重新绑定。", code="gone")
        allowed, refusal = device.verify_is_allowed()
        accepted = allowed and device.verify_token(token)
        if accepted and not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            security_log.info("TOTP device bound: user=%s device=%s", device.user_id, device.pk)
    if not allowed:
        wait = math.ceil((refusal["locked_until"] - timezone.now()).total_seconds())
        security_log.warning("TOTP code refused while throttled: user=%s", device.user_id)
        raise ValidationError(f"动态口令错误次数过多，请{max(wait, 1)}秒后再试。", code="throttled")
    if not accepted:
        security_log.warning("TOTP code refused: user=%s failures=%s", device.user_id, device.throttling_failure_count)
        raise ValidationError("动态口令不正确或已使用过，请输入验证器上当前显示的6位数字。", code="invalid")
    return device
