"""The left menu, as the provincial platforms lay it out; each entry names who may use it."""
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse

from accounts.models import OrganisationKind, Role
from accounts.roles import is_sysadmin, roles_of
from workflow import jurisdiction
from workflow.levels import LEVELS

# Entries with roles=None are for every signed-in person.
ANY_SIGNED_IN = None


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    roles: frozenset | None
    when: object = None  # a further check on the user, for entries narrower than a role


@dataclass(frozen=True)
class Section:
    label: str
    children: list = field(default_factory=list)


def level_queues(section):
    """The review levels' queue entries that the levels table (workflow/levels.py) puts in `section`."""
    return [Entry(level.menu_label, level.queue, frozenset({level.role})) for level in LEVELS if level.menu_section == section]


def administers_training_base(user):
    return bool(jurisdiction.administered_units(user, kind=OrganisationKind.TRAINING_BASE))


MENU = [
    Section(
        "人才人事",
        [
            Section(
                "专业技术人员管理",
                [
                    Section(
                        "继续教育",
                        [
                            Entry("学时核认申报", "hours:declaration_list", frozenset({Role.APPLICANT})),
                            Entry("学时证书打印", "certificates:print", frozenset({Role.APPLICANT})),
                            Entry("学时档案", "certificates:record", frozenset({Role.APPLICANT})),
                            Entry("单位代为申报", "hours:proxy_list", frozenset({Role.UNIT_ADMIN, Role.DEPT_ADMIN})),
                            *level_queues("继续教育"),
                            Entry("我的经办", "review:my_decisions", frozenset({Role.UNIT_ADMIN, Role.DEPT_ADMIN})),
                            Entry("专业技术人员继续教育培训备案", "hours:filing_list", frozenset({Role.UNIT_ADMIN})),
                            Entry(
                                "基地培训记录上传", "hours:training_import", frozenset({Role.UNIT_ADMIN}), when=administers_training_base
                            ),
                            Entry(
                                "专业技术人员继续教育培训备案主管单位审核",
                                "hours:filing_queue",
                                frozenset({Role.DEPT_ADMIN, Role.BUREAU_CLERK}),
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    Section(
        "单位管理",
        [
            Entry("本单位人员学时情况", "hours:staff_ledger", frozenset({Role.UNIT_ADMIN, Role.DEPT_ADMIN})),
            Entry("单位人员确认", "accounts:membership_queue", frozenset({Role.UNIT_ADMIN})),
            Entry("本单位已确认人员", "accounts:unit_staff", frozenset({Role.UNIT_ADMIN})),
            Entry("批量导入人员", "accounts:staff_enrol", frozenset({Role.UNIT_ADMIN})),
            Entry("下级单位", "accounts:subordinates", frozenset({Role.DEPT_ADMIN})),
        ],
    ),
    Section(
        "综合柜员",
        [
            *level_queues("综合柜员"),
            Entry("我的经办", "review:my_decisions", frozenset({Role.BUREAU_CLERK})),
            Entry("培训记录导入", "hours:training_import", frozenset({Role.BUREAU_CLERK})),
            Entry("集中办理时间", "review:filing_periods", frozenset({Role.BUREAU_CLERK})),
            Entry("辖区单位", "accounts:jurisdiction", frozenset({Role.BUREAU_CLERK})),
            Entry("消息推送管理", "review:reminders_sent", frozenset({Role.BUREAU_CLERK})),
            Entry("接口密钥", "api_keys:list", frozenset({Role.BUREAU_CLERK})),
        ],
    ),
    Section("查询统计", [Entry("继续教育学时统计", "review:statistics", frozenset({Role.DEPT_ADMIN, Role.BUREAU_CLERK}))]),
    Section(
        "个人中心",
        [
            Entry("我的消息", "portal:messages", ANY_SIGNED_IN),
            Entry("我的信息", "accounts:profile", ANY_SIGNED_IN),
            Entry("我的后台任务", "portal:job_list", ANY_SIGNED_IN),
        ],
    ),
    Section(
        "系统管理",
        [Entry("后台管理", "admin:index", frozenset({Role.SYSADMIN})), Entry("接口密钥", "api_keys:list", frozenset({Role.SYSADMIN}))],
    ),
]


def _visible(node, held, allowed):
    if isinstance(node, Entry):
        if node.roles is not None and not (node.roles & held):
            return None
        if node.when is not None and node.url_name not in allowed:
            return None
        return {"label": node.label, "url": reverse(node.url_name), "active": False}
    children = [c for c in (_visible(child, held, allowed) for child in node.children) if c]
    if not children:
        return None
    return {"label": node.label, "children": children, "active": False}


def _entries(nodes):
    for node in nodes:
        if "children" in node:
            yield from _entries(node["children"])
        else:
            yield node


def _narrower(nodes):
    for node in nodes:
        if isinstance(node, Section):
            yield from _narrower(node.children)
        elif node.when is not None:
            yield node


NARROWER = list(_narrower(MENU))


def _held(user):
    held = set(roles_of(user))
    if is_sysadmin(user):
        held.add(Role.SYSADMIN)
    return frozenset(held)


def _allowed(user, held):
    """The entries narrower than a role that this user passes (checked only where the role is held)."""
    return frozenset(e.url_name for e in NARROWER if (e.roles is None or e.roles & held) and e.when(user))


@lru_cache(maxsize=1024)
def _tree(held, allowed, open_url, prefix):
    """The sections and entries for these roles, with the entry at open_url (the first such) and its
    sections marked open. The same for everyone holding the same roles, so built once per process."""
    sections = [s for s in (_visible(section, held, allowed) for section in MENU) if s]
    entry = next((e for e in _entries(sections) if e["url"] == open_url), None)
    if entry is not None:
        entry["active"] = True

    def refresh(node):
        if "children" in node:
            node["active"] = any([refresh(child) for child in node["children"]])
        return node["active"]

    for section in sections:
        refresh(section)
    return sections


@lru_cache(maxsize=1024)
def _urls(held, allowed, prefix):
    return tuple(e["url"] for e in _entries(_tree(held, allowed, None, prefix)))


def _key(user, current_path):
    """What a user's menu depends on. The open entry is the one whose address is the longest start
    of current_path: /hours/filings/ lies under /hours/ too."""
    held = _held(user)
    allowed, prefix = _allowed(user, held), get_script_prefix()
    open_url = max((url for url in _urls(held, allowed, prefix) if current_path.startswith(url)), key=len, default=None)
    return held, allowed, open_url, prefix


@lru_cache(maxsize=1024)
def _render(held, allowed, open_url, prefix):
    return render_to_string("includes/menu.html", {"menu": _tree(held, allowed, open_url, prefix)})


def menu_html(user, current_path=""):
    """The menu's entries as HTML, rendered once per process for each set of roles and open entry
    (about a millisecond of every page otherwise); empty for a visitor who is not signed in."""
    return _render(*_key(user, current_path)) if user.is_authenticated else ""


@receiver(setting_changed)
def _forget(setting, **kwargs):
    """A test that changes the URLs or templates must not see menus made with the old ones."""
    if setting in {"ROOT_URLCONF", "TEMPLATES", "INSTALLED_APPS"}:
        for cached in (_tree, _urls, _render):
            cached.cache_clear()
