"""Who may see, declare and review what — the one place that answers, for views, services,
selectors, exports and the transitions alike.

Jurisdiction is organisation containment (materialised paths: a unit lies under a department when
its path starts with the department's), read from the role grants held for the request. Lists ask
with a queryset filter per object kind (never a per-row check); single objects with the predicates."""
from django.db.models import Q

from accounts.models import OrganisationKind, Role, bureau_area_q, within_q
from accounts.roles import grants, is_sysadmin, organisations_for, roles_of

from .levels import BY_STATE

# Administrators who declare and submit for the people of their organisation's subtree.
DECLARING_ROLES = (Role.UNIT_ADMIN, Role.DEPT_ADMIN)


def administering(user, unit):
    """(role, organisation) in which `user` administers `unit` or an organisation above it, else None."""
    for role in DECLARING_ROLES:
        for org in organisations_for(user, role):
            if org.contains(unit):
                return role, org
    return None


def administers_unit(user, unit_id):
    """Whether `user` is an administrator of exactly this unit (its filings, its own staff)."""
    return any(org.pk == unit_id for org in administered_units(user))


def administered_units(user, *, kind=None):
    """The units `user` administers (of `kind`, if given)."""
    return [org for org in organisations_for(user, Role.UNIT_ADMIN) if kind is None or org.kind == kind]


def declaring_role(user, applicant):
    """The (role, organisation) in which `user` may declare for `applicant`: themselves, or as the
    administrator of the applicant's unit or of a department above it (单位/主管部门代为申报)."""
    if user.pk == applicant.pk:
        return (Role.APPLICANT, None) if Role.APPLICANT in roles_of(user) else None
    if applicant.organisation is None:
        return None
    return administering(user, applicant.organisation)


def edits(declaration, user):
    """Whether `user` is the one who edits the declaration: whoever declared it for the applicant,
    else the applicant."""
    return (declaration.declared_by_id or declaration.applicant_id) == user.pk


def submitter(declaration, user):
    """Who may submit or withdraw a declaration: the applicant, or the administrator who declared it."""
    if declaration.declared_by_id is None:
        if declaration.applicant_id == user.pk and Role.APPLICANT in roles_of(user):
            return Role.APPLICANT, declaration.organisation
        return None
    if declaration.declared_by_id != user.pk:
        return None
    return administering(user, declaration.organisation)


def reviewer_at(state, org_id, user):
    """The role in which `user` reviews an item waiting in `state` at organisation `org_id`, else None."""
    level = BY_STATE.get(state)
    if level is None or org_id is None:
        return None
    if any(org.pk == org_id for org in organisations_for(user, level.role)):
        return level.role
    return None


def revoker(approving_bureau, user):
    """撤销认定: the (role, bureau) in which `user` may revoke what `approving_bureau` approved — as
    a clerk of that bureau or of a bureau above it (the province over its cities) — else None."""
    if approving_bureau is None:
        return None
    for org in organisations_for(user, Role.BUREAU_CLERK):
        if org.kind == OrganisationKind.BUREAU and org.contains(approving_bureau):
            return Role.BUREAU_CLERK, org
    return None


def reviewer(item, user):
    """The role in which `user` reviews `item` now. Nobody reviews their own declaration, even as
    their unit's administrator."""
    if item.is_own(user):
        return None
    return reviewer_at(item.state, item.current_org_id, user)


# --- one queryset filter per object kind --------------------------------------------------------


def _reach(user, unit="organisation", roles=(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)):
    """Units (through the relation `unit`) the user's grants of `roles` reach: as unit administrator
    the unit, as department administrator its subtree, as bureau clerk the bureau's area."""
    q = Q(pk__in=[])
    for role, org in grants(user):
        if role not in roles:
            continue
        if role == Role.UNIT_ADMIN:
            q |= Q(**{unit: org})
        elif role == Role.DEPT_ADMIN:
            q |= within_q(org, unit)
        elif role == Role.BUREAU_CLERK and org.kind == OrganisationKind.BUREAU:
            q |= bureau_area_q(org, unit)
    return q


def declarable_q(user):
    """People (User rows, through their unit) an administrator may declare for."""
    return _reach(user, unit="organisation", roles=DECLARING_ROLES)


def staff_q(user, unit="organisation"):
    """本单位人员学时情况: whose hours an administrator follows (User rows, or rows through `unit`):
    a unit administrator their unit's staff, a department administrator their subtree's."""
    return _reach(user, unit=unit, roles=(Role.UNIT_ADMIN, Role.DEPT_ADMIN))


def statistics_q(user, unit="organisation"):
    """查询统计: the units whose figures a department administrator (their subtree) or a bureau
    clerk (the bureau's area) sees; `unit=None` filters Organisation rows themselves."""
    return _reach(user, unit=unit, roles=(Role.DEPT_ADMIN, Role.BUREAU_CLERK))


def statistics_tops(user):
    """Where 查询统计 starts for `user`: (True, bureau) for a bureau clerk's area, (False, department)
    for a department administrator's subtree. Drilling down stays within statistics_q."""
    tops = []
    for role, org in grants(user):
        if role == Role.DEPT_ADMIN:
            tops.append((False, org))
        elif role == Role.BUREAU_CLERK and org.kind == OrganisationKind.BUREAU:
            tops.append((True, org))
    return tops


def reminders_q(user):
    """消息推送管理: the reminders (Reminder rows) to people in a bureau clerk's bureau area, or sent by
    an organisation there (a unit's 催报 stays with the unit's bureau after the person moves away)."""
    return _reach(user, unit="user__organisation", roles=(Role.BUREAU_CLERK,)) | _reach(
        user, unit="organisation", roles=(Role.BUREAU_CLERK,)
    )


def reviewing_organisations(user, *states):
    """The organisations at which `user` reviews items waiting in any of `states`."""
    return [org for state in states for org in organisations_for(user, BY_STATE[state].role)]


def declarations_q(user):
    """Declarations a user may open: their own, what they declared for others, and submitted ones
    within their reach."""
    return Q(applicant=user) | Q(declared_by=user) | (_reach(user) & Q(submitted_at__isnull=False))


def filings_q(user):
    """Training filings: all of the units they administer, and submitted ones within their reach."""
    return Q(organisation__in=administered_units(user)) | (_reach(user) & Q(submitted_at__isnull=False))


def certificates_q(user):
    """Certificates: the owner's, those issued for a unit within reach, and those a clerk's bureau issued."""
    q = Q(applicant=user) | _reach(user)
    for role, org in grants(user):
        if role == Role.BUREAU_CLERK and org.kind == OrganisationKind.BUREAU:
            q |= within_q(org, "bureau")
    return q


# --- API keys (接口密钥) -----------------------------------------------------------------------------


def key_bureaux(user):
    """The ids of the bureaux whose training bases `user` issues keys for as their clerk."""
    return {org.pk for org in organisations_for(user, Role.BUREAU_CLERK) if org.kind == OrganisationKind.BUREAU}


def key_issuer(user, organisation):
    """The role in which `user` may issue and stop API keys for `organisation`, and the 报送辖区 that
    role imposes: (SYSADMIN, None) for any training base, any bureau or the whole province;
    (BUREAU_CLERK, the base's bureau) for a training base of one of the clerk's bureaux. Else None."""
    if organisation.kind != OrganisationKind.TRAINING_BASE:
        return None
    if is_sysadmin(user):
        return Role.SYSADMIN, None
    if organisation.bureau_id in key_bureaux(user):
        return Role.BUREAU_CLERK, organisation.bureau
    return None


def key_organisations_q(user, through=""):
    """The training bases `user` may issue keys for (key_issuer as a filter): Organisation rows, or
    rows reaching them `through` a relation ("organisation__")."""
    q = Q(**{f"{through}kind": OrganisationKind.TRAINING_BASE})
    return q if is_sysadmin(user) else q & Q(**{f"{through}bureau__in": key_bureaux(user)})


def api_keys_q(user):
    """接口密钥: the keys (ApiKey rows) of the training bases `user` may issue keys for."""
    return key_organisations_q(user, "organisation__")
