"""Every change to organisations, people, roles and memberships goes through these functions."""
import hashlib
import logging
import math
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import ratelimit, sms
from core.commits import after_commit
from core.constraints import refused_on_conflict
from core.proxy import client_ip

from . import audit, roles, selectors, tasks
from .models import (
    AccountAction, Membership, MembershipStatus, Organisation, OrganisationKind, PasswordResetCode, ResetChannel, Role,
    RoleGrant, User,
)
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


def role_grant(*, user, role, organisation=None, granted_by=None, request=None):
    grant = RoleGrant(user=user, role=role, organisation=organisation, granted_by=granted_by)
    grant.full_clean(exclude=["user"], validate_unique=False)
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(
            user=user, role=role, organisation=organisation, defaults={"granted_by": granted_by}
        )
        if role == Role.SYSADMIN and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if created:  # a role held already is no new grant
            audit.record_role(AccountAction.ROLE_GRANT, grant, actor=granted_by, request=request)
    roles.forget(user)
    return grant


def role_remove(*, grant, actor=None, request=None):
    """Take one role away (the grant row goes; the trail keeps who held what)."""
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().filter(pk=grant.pk).first()
        if locked is None:  # removed by a second tab meanwhile
            return
        audit.record_role(AccountAction.ROLE_REMOVE, locked, actor=actor, request=request)
        locked.delete()
    roles.forget(grant.user)


def staff_account_create(*, username, name, password, phone="", role, organisation=None, id_number=None):
    """An account for a unit administrator, department administrator, bureau clerk or system administrator."""
    with transaction.atomic():
        user = User(username=username, name=name, phone=phone, id_number=normalize_id_number(id_number) or None)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        role_grant(user=user, role=role, organisation=organisation)
    return user


ALREADY_REGISTERED = "该证件号码已注册，请直接登录；如忘记密码，请在登录页点击“忘记密码”找回。"


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


def membership_confirm(*, membership, actor, request=None):
    with transaction.atomic():
        locked = _confirm(_lock_pending_for_admin(membership, actor), actor)
        audit.record(
            AccountAction.MEMBERSHIP_CONFIRM, actor=actor, subject=locked.person, organisation=locked.organisation,
            request=request, membership=locked.pk,
        )
    return locked


def _confirm(locked, actor):
    """The locked pending membership made the person's active one (any other active one ends), and
    the layers above told (person_moved). Inside the caller's transaction."""
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


def _check_enrolling(actor, organisation):
    if organisation not in roles.organisations_for(actor, Role.UNIT_ADMIN):
        raise PermissionDenied("只有该单位的管理员可以导入本单位人员。")


def _enrolled(person, organisation, actor, row, outcome, address):
    audit.record(
        AccountAction.STAFF_ENROL, actor=actor, subject=person, organisation=organisation, address=address, row=row,
        outcome=outcome,
    )


def staff_create(*, organisation, actor, row, password, address=None, **profile):
    """批量导入人员: a professional's account made by their unit's administrator and confirmed at the
    unit at once, with a password the administrator never sees and the person must change at the
    next sign-in. Inside the import's transaction; `row` is the file's line, for the audit trail."""
    _check_enrolling(actor, organisation)
    id_number = normalize_id_number(profile.pop("id_number"))
    user = User(username=id_number, id_number=id_number, must_change_password=True, **profile)
    if not user.gender:
        user.gender = gender_from_id_number(id_number)
    user.set_password(password)
    user.full_clean(exclude=["password"], validate_unique=False)
    with refused_on_conflict(lambda: _already_registered(id_number)), transaction.atomic():
        user.save()
        RoleGrant.objects.create(user=user, role=Role.APPLICANT)
        _confirm(Membership.objects.create(person=user, organisation=organisation), actor)
        _enrolled(user, organisation, actor, row, "created", address)
    return user


def staff_link(*, person, organisation, actor, row, address=None):
    """批量导入人员 of someone with an account: their request to join the unit confirmed, or one made
    and confirmed. Refuses (ValidationError) a person confirmed at the unit or another one since
    the file was checked, or waiting for another unit."""
    _check_enrolling(actor, organisation)
    with transaction.atomic():
        memberships = Membership.objects.select_for_update().filter(
            person=person, status__in=[MembershipStatus.PENDING, MembershipStatus.ACTIVE]
        )
        locked = None
        for membership in memberships:
            if membership.status == MembershipStatus.ACTIVE or membership.organisation_id != organisation.pk:
                raise ValidationError(f"{person.name}的单位关系刚刚发生变化，请重新导入。")
            locked = membership
        if locked is None:
            locked = Membership.objects.create(person=person, organisation=organisation)
        _confirm(locked, actor)
        _enrolled(person, organisation, actor, row, "linked", address)
    return locked


def membership_reject(*, membership, actor, reason, request=None):
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
        audit.record(
            AccountAction.MEMBERSHIP_REJECT, actor=actor, subject=locked.person, organisation=locked.organisation,
            request=request, membership=locked.pk, reason=reason,
        )
    return locked


def totp_device_start(*, user):
    """The authenticator being bound for the user: the same one until it is confirmed, so that a
    QR code scanned before a page reload still works."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


def totp_check(*, device, token, request=None):
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
            audit.record(
                AccountAction.SECOND_FACTOR_BIND, actor=device.user, subject=device.user,
                organisation=device.user.organisation, request=request, device=device.name,
            )
    if not allowed:
        wait = math.ceil((refusal["locked_until"] - timezone.now()).total_seconds())
        security_log.warning("TOTP code refused while throttled: user=%s", device.user_id)
        raise ValidationError(f"动态口令错误次数过多，请{max(wait, 1)}秒后再试。", code="throttled")
    if not accepted:
        security_log.warning("TOTP code refused: user=%s failures=%s", device.user_id, device.throttling_failure_count)
        raise ValidationError("动态口令不正确或已使用过，请输入验证器上当前显示的6位数字。", code="invalid")
    return device


# --- passwords: 忘记密码, a unit administrator's reset, 修改密码 ---------------------------------------

# Roles whose holders recover through a system administrator only (and sign in with a second factor).
RECOVERY_BY_SYSADMIN_ONLY = (Role.BUREAU_CLERK, Role.SYSADMIN)
# Readable: no 0/O/o, 1/l/I, which people misread when a temporary password is read out or copied.
TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
CODE_REFUSED = "验证码不正确或已失效。请核对短信或邮件中的6位验证码；输错5次或超过10分钟后验证码作废，需重新获取。"
RESET_ADDRESS_LIMITED = "本机获取验证码的次数过多，请稍后再试。"
RESET_ATTEMPTS_LIMITED = "本机输入验证码的次数过多，请稍后再试。"


def _sysadmin_only(user):
    return user.is_superuser or RoleGrant.objects.filter(user=user, role__in=RECOVERY_BY_SYSADMIN_ONLY).exists()


def account_for_login(login):
    """The account a login names, as the sign-in backend finds it: username first, then 证件号码."""
    return User.objects.filter(username=login).first() or User.objects.filter(id_number=login).first()


def _limited(bucket, key):
    limit, window = settings.PASSWORD_RESET_RATE_LIMITS[bucket]
    hits, _ = ratelimit.count(f"accounts:reset:{bucket}:{hashlib.sha256(key.encode()).hexdigest()}", window)
    return hits > limit


def password_code_send(*, login, request):
    """Step 1 of 忘记密码: send a 6-digit code to the mobile (else the e-mail) on file of the account
    `login` names. Returns the new PasswordResetCode, or None when nothing was sent: no such account,
    no mobile or e-mail, a clerk or system administrator (recovery through a system administrator
    only), or this login asked too often. The caller answers all of these alike, so the answer does
    not tell whether an account exists; the code is hashed in every case, so the time taken does
    not tell either. Raises ValidationError only when this address asked too often (that says
    nothing about any account)."""
    if _limited("address", client_ip(request) or "unknown"):
        raise ValidationError(RESET_ADDRESS_LIMITED, code="rate_limited")
    seed = secrets.token_hex(16)
    code_hash = make_password(reset_code(seed))
    user = account_for_login(login)
    # Counted by the login typed and by the account it names (its username and 证件号码 are one account).
    if _limited("account", login) or user is None or _limited("account", f"user:{user.pk}"):
        return None
    if not user.is_active or _sysadmin_only(user):
        return None
    if sms.is_mobile(user.phone):
        channel = ResetChannel.SMS
    elif user.email:
        channel = ResetChannel.EMAIL
    else:
        return None
    now = timezone.now()
    with transaction.atomic():
        reset = PasswordResetCode.objects.create(
            user=user, seed=seed, code_hash=code_hash,
            expires_at=now + timedelta(seconds=settings.PASSWORD_RESET_CODE_SECONDS), ip_address=client_ip(request),
            channel=channel,
        )
        audit.record(AccountAction.PASSWORD_CODE_SENT, subject=user, request=request, channel=channel)
        # Sent by a background task after the commit: a slow gateway must not make an existing
        # account answer later than an unknown one. Best effort: a code nobody received is asked again.
        after_commit(tasks.send_reset_code.enqueue, reset.pk)
    return reset


def reset_code(seed):
    """The 6-digit code of a reset, from its seed and the SECRET_KEY."""
    return f"{int(salted_hmac('accounts.password_reset', seed).hexdigest(), 16) % 10**6:06d}"


def reset_code_deliver(*, reset_id):
    """Send a reset's code to its channel (the background task's work); False when not sent."""
    reset = PasswordResetCode.objects.select_related("user").filter(pk=reset_id, used_at=None).first()
    if reset is None or reset.expires_at <= timezone.now():
        return False
    minutes = settings.PASSWORD_RESET_CODE_SECONDS // 60
    text = f"您正在找回学时核认平台的登录密码，验证码{reset_code(reset.seed)}，{minutes}分钟内有效。如非本人操作，请忽略并勿告知他人。"
    if reset.channel == ResetChannel.SMS:
        return sms.send(reset.user.phone, text)
    return bool(send_mail("找回密码验证码", text, None, [reset.user.email], fail_silently=True))


def password_reset_with_code(*, reset_id, code, password, request):
    """Step 2 of 忘记密码: the code of the pending reset (the session's) and the new password. A
    wrong code counts against the code, which dies at the fifth; a right code with a password the
    rules refuse is not spent. Raises ValidationError ({"code": …} or {"password1": …})."""
    # Before any hashing: one session of step 1 must not buy endless hash work.
    if _limited("attempt", client_ip(request) or "unknown"):
        raise ValidationError({"code": RESET_ATTEMPTS_LIMITED}, code="rate_limited")
    with transaction.atomic():
        reset = PasswordResetCode.objects.select_for_update().select_related("user").filter(pk=reset_id).first()
        live = (
            reset is not None and reset.used_at is None and reset.expires_at > timezone.now()
            and reset.failures < settings.PASSWORD_RESET_MAX_FAILURES
        )
        if live:
            right = check_password(code, reset.code_hash)
        else:
            make_password(code)  # one hash's work, as checking a live code: the time tells nothing
            right = False
        if live and not right:
            PasswordResetCode.objects.filter(pk=reset.pk).update(failures=F("failures") + 1)
    if not (live and right):
        raise ValidationError({"code": CODE_REFUSED})
    user = reset.user
    if not user.is_active or _sysadmin_only(user):  # a role granted since the code was sent
        raise ValidationError({"code": CODE_REFUSED})
    _validate_new_password(password, user, "password1")
    with transaction.atomic():
        spent = PasswordResetCode.objects.filter(pk=reset.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not spent:  # a second tab used it a moment ago
            raise ValidationError({"code": CODE_REFUSED})
        # Every other code of the account dies with this one.
        PasswordResetCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
        _password_set(user, password, must_change=False)
        audit.record(AccountAction.PASSWORD_RESET_SELF, subject=user, request=request, channel=reset.channel)
    return user


def _validate_new_password(password, user, field):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _password_set(user, password, *, must_change):
    """A new password: the sessions signed in with the old one end (Django's session auth hash),
    and the lock-out of the login is lifted."""
    user.set_password(password)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])
    for login in {user.username, user.id_number} - {None, ""}:
        axes_reset(username=login)


def temporary_password(user=None):
    """A random 10-character password that the password rules accept (checked against `user` when
    given), in readable characters, with upper- and lower-case letters and a digit."""
    while True:
        candidate = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(10))
        if not (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate) and any(c.isdigit() for c in candidate)):
            continue
        try:
            password_validation.validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def staff_for_reset(*, actor, person_id):
    """A person confirmed (membership 已确认) at a unit `actor` administers, with that membership, or
    PermissionDenied."""
    units = roles.organisations_for(actor, Role.UNIT_ADMIN)
    membership = selectors.confirmed_staff(organisations=units).filter(person_id=person_id).first()
    if membership is None:
        raise PermissionDenied("只能重置本单位已确认人员的密码。")
    return membership


def password_stamp(user):
    """A short fingerprint of the account's current password (not of the password: of its hash, keyed
    with SECRET_KEY), which the confirmation page carries: a reset confirmed twice — a double click,
    a second tab, a colleague at the same time — finds the password changed and resets only once."""
    return salted_hmac("accounts.password_stamp", user.password).hexdigest()[:20]


def password_reset_by_admin(*, actor, person_id, stamp, request=None):
    """A unit administrator resets the password of one of the unit's confirmed staff: a temporary
    password, returned once (never kept in clear), which must be changed at the next sign-in.
    Refused for one's own account (修改密码 is for that), and for holders of clerk or system
    administrator roles or a department administrator's (recovery through a system administrator:
    a unit must not take over an account with more powers than its own)."""
    with transaction.atomic():
        membership = staff_for_reset(actor=actor, person_id=person_id)
        person = User.objects.select_for_update().get(pk=membership.person_id)
        if person.pk == actor.pk:
            raise PermissionDenied("不能重置自己的密码，请使用“修改密码”。")
        # Any role beyond 专业技术人员 (another unit's administrator too) has powers this unit does not.
        if person.is_staff or RoleGrant.objects.filter(user=person).exclude(role=Role.APPLICANT).exists():
            raise PermissionDenied("该人员持有管理员或经办人角色，其密码只能由系统管理员重置。")
        if not constant_time_compare(stamp or "", password_stamp(person)):
            raise ValidationError(f"{person.name}的密码在您打开确认页之后已被重置或修改，本次未再重置。如仍需重置，请重新操作。")
        password = temporary_password(person)
        _password_set(person, password, must_change=True)
        audit.record(
            AccountAction.PASSWORD_RESET_BY_ADMIN, actor=actor, subject=person, organisation=membership.organisation, request=request
        )
    return person, password


def password_change(*, user, old_password, new_password, request=None):
    """修改密码: the old password, then a new one the rules accept; clears 下次登录须修改密码. Wrong
    old passwords are limited per account, so a session left open cannot be used to guess it."""
    limit, window = settings.PASSWORD_RESET_RATE_LIMITS["old_password"]
    if ratelimit.hits(f"accounts:old_password:{user.pk}", window) >= limit:
        raise ValidationError({"old_password": f"原密码错误次数过多，请{window // 60}分钟后再试。"})
    if not user.check_password(old_password):
        ratelimit.count(f"accounts:old_password:{user.pk}", window)
        raise ValidationError({"old_password": "原密码不正确。"})
    if old_password == new_password:
        raise ValidationError({"new_password1": "新密码不能与原密码相同。"})
    _validate_new_password(new_password, user, "new_password1")
    with transaction.atomic():
        _password_set(user, new_password, must_change=False)
        audit.record(AccountAction.PASSWORD_CHANGE, actor=user, subject=user, request=request)
    return user
