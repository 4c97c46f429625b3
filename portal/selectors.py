"""What each role's home page counts, and 我的消息; a fixed number of queries whatever the data size."""
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.models import Membership, MembershipStatus, Organisation, Role, User, bureau_area_q
from accounts.roles import is_sysadmin, organisations_for, roles_of

from certificates.records import home_standing
from hours.models import Declaration
from review.selectors import pending_counts
from workflow.levels import LEVELS
from workflow.models import PENDING_STATES, Notification, State

# The page a message's subject has, by its kind (app label, model): 我的消息 links to it. The
# subject's own view still decides whether the reader may open it.
SUBJECT_PAGES = {
    ("hours", "declaration"): ("hours:declaration_detail", "查看申报"),
    ("hours", "trainingfiling"): ("hours:filing_detail", "查看备案"),
}


def home_blocks(user):
    held = roles_of(user)
    blocks = []
    if Role.APPLICANT in held:
        latest = Membership.objects.filter(person=user).select_related("organisation").first()
        mine = Declaration.objects.filter(applicant=user).aggregate(
            draft=Count("id", filter=Q(state=State.DRAFT)),
            pending=Count("id", filter=Q(state__in=PENDING_STATES)),
            approved=Count("id", filter=Q(state=State.APPROVED)),
            rejected=Count("id", filter=Q(state=State.REJECTED)),
        )
        notices = list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:5])
        blocks.append(
            {
                "role": Role.APPLICANT, "membership": latest, "declarations": mine, "notifications": notices,
                "standing": home_standing(applicant=user),
            }
        )
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
        counts = [Organisation.objects.filter(bureau_area_q(b)).count() for b in bureaus]
        blocks.append({"role": Role.BUREAU_CLERK, "bureaus": bureaus, "jurisdiction_units": sum(counts)})
    waiting = pending_counts(user=user)
    for block in blocks:
        # The counters of every level at which the block's role reviews (workflow/levels.py).
        block["levels"] = [(level, waiting[level.state]) for level in LEVELS if level.role == block["role"] and level.state in waiting]
    if is_sysadmin(user):
        blocks.append({"role": Role.SYSADMIN})
    return blocks


def messages_of(user):
    """我的消息: the person's messages, newest first (the (user, read_at) index serves both the list
    and the unread count)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def message_get_for_user(*, user, pk):
    return get_object_or_404(Notification, pk=pk, user=user)


def subject_page(notification):
    """(address, link words) of the message's subject's page, or None (no subject, or a kind
    without a page). The content type comes from Django's per-process cache: no query per row."""
    if notification.subject_type_id is None:
        return None
    kind = ContentType.objects.get_for_id(notification.subject_type_id)
    name, words = SUBJECT_PAGES.get((kind.app_label, kind.model), (None, None))
    return (reverse(name, args=[notification.subject_id]), words) if name else None
