"""Queries about organisations and people that the views read."""
from django.conf import settings
from django.db.models import Count, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, bureau_area_q, within_q
from .roles import is_sysadmin, organisations_for, roles_of


def organisation_search(*, query, limit=20, exclude_bureaus=True):
    """Units whose name or credit code contains the query, for the unit picker."""
    query = (query or "").strip()
    qs = Organisation.objects.filter(is_active=True)
    if exclude_bureaus:
        qs = qs.exclude(kind=OrganisationKind.BUREAU)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(uscc__iexact=query))
    return list(qs.order_by("path")[:limit])


def organisation_find(*, text):
    """The unit a picker input names: its exact name or its credit code."""
    text = (text or "").strip()
    if not text:
        return None
    qs = Organisation.objects.filter(is_active=True).exclude(kind=OrganisationKind.BUREAU)
    return qs.filter(uscc__iexact=text).first() or qs.filter(name=text).first()


def pending_memberships(*, organisations):
    return (
        Membership.objects.filter(organisation__in=organisations, status=MembershipStatus.PENDING)
        .select_related("person", "organisation")
        .order_by("requested_at", "id")
    )


def confirmed_staff(*, organisations):
    """The people confirmed (已确认) at these units: the staff a unit administrator looks after."""
    return (
        Membership.objects.filter(organisation__in=organisations, status=MembershipStatus.ACTIVE)
        .select_related("person", "organisation")
        .order_by("organisation__path", "person__name", "id")
    )


def membership_history(*, person):
    return list(Membership.objects.filter(person=person).select_related("organisation"))


def subordinate_organisations(*, organisation):
    """Every organisation below this one in the tree, with how many confirmed staff each has."""
    return (
        Organisation.objects.filter(within_q(organisation), depth__gt=organisation.depth)
        .annotate(staff_count=Count("staff"))
        .select_related("bureau")
        .order_by("path")
    )


def jurisdiction_organisations(*, bureau):
    """Units a bureau finally approves for, including those of the city bureaus below it."""
    return (
        Organisation.objects.filter(bureau_area_q(bureau))
        .annotate(staff_count=Count("staff"))
        .select_related("bureau")
        .order_by("bureau__path", "path")
    )


def second_factor_required(*, user):
    """Whether the user must give a one-time code after the password: REQUIRE_2FA is on and they
    hold one of OTP_REQUIRED_ROLES (a superuser counts as system administrator)."""
    if not settings.REQUIRE_2FA or not user.is_authenticated:
        return False
    required = set(settings.OTP_REQUIRED_ROLES)
    return bool(roles_of(user) & required) or (Role.SYSADMIN in required and is_sysadmin(user))


def totp_device_confirmed(*, user):
    """The authenticator the user has bound, or None (not bound yet)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolling_units(user):
    """The units whose staff `user` may enrol (批量导入人员): those they administer, bureaus aside."""
    return Organisation.objects.filter(
        pk__in=[org.pk for org in organisations_for(user, Role.UNIT_ADMIN)]
    ).exclude(kind=OrganisationKind.BUREAU).order_by("name")
