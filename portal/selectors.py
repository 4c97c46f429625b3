"""What each role's home page counts; a fixed number of queries whatever the data size."""
from accounts.models import Membership, MembershipStatus, Organisation, OrganisationKind, Role, User
from accounts.roles import is_sysadmin, organisations_for, roles_of


def home_blocks(user):
    held = roles_of(user)
    blocks = []
    if Role.APPLICANT in held:
        latest = Membership.objects.filter(person=user).select_related("organisation").first()
        blocks.append({"role": Role.APPLICANT, "membership": latest})
    if Role.UNIT_ADMIN in held:
        units = organisations_for(user, Role.UNIT_ADMIN)
        blocks.append(
            {
                "role": Role.UNIT_ADMIN,
                "units": units,
                "pending_members": Membership.objects.filter(organisation__in=units, status=MembershipStatus.PENDING).count(),
                "staff": User.objects.filter(organisation__in=units).count(),
            }
        )
    if Role.DEPT_ADMIN in held:
        departments = organisations_for(user, Role.DEPT_ADMIN)
        subordinate_count = sum(max(Organisation.objects.get_tree(d).count() - 1, 0) for d in departments)
        blocks.append({"role": Role.DEPT_ADMIN, "departments": departments, "subordinates": subordinate_count})
    if Role.BUREAU_CLERK in held:
        bureaus = organisations_for(user, Role.BUREAU_CLERK)
        counts = [
            Organisation.objects.filter(
                bureau__path__startswith=b.path, bureau__kind=OrganisationKind.BUREAU
            ).count()
            for b in bureaus
        ]
        blocks.append({"role": Role.BUREAU_CLERK, "bureaus": bureaus, "jurisdiction_units": sum(counts)})
    if is_sysadmin(user):
        blocks.append({"role": Role.SYSADMIN})
    return blocks
