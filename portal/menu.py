"""The left menu, as the provincial platforms lay it out; each entry names who may use it."""
from dataclasses import dataclass, field

from django.urls import reverse

from accounts.models import OrganisationKind, Role
from accounts.roles import is_sysadmin, organisations_for, roles_of

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


def administers_training_base(user):
    return any(org.kind == OrganisationKind.TRAINING_BASE for org in organisations_for(user, Role.UNIT_ADMIN))


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
                            Entry("单位代为申报", "hours:proxy_list", frozenset({Role.UNIT_ADMIN, Role.DEPT_ADMIN})),
                            Entry("学时核认申报单位审核", "review:unit_queue", frozenset({Role.UNIT_ADMIN})),
                            Entry("学时核认上级单位审核", "review:superior_queue", frozenset({Role.DEPT_ADMIN})),
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
            Entry("单位人员确认", "accounts:membership_queue", frozenset({Role.UNIT_ADMIN})),
            Entry("下级单位", "accounts:subordinates", frozenset({Role.DEPT_ADMIN})),
        ],
    ),
    Section(
        "综合柜员",
        [
            Entry("待办列表", "review:bureau_todo", frozenset({Role.BUREAU_CLERK})),
            Entry("培训记录导入", "hours:training_import", frozenset({Role.BUREAU_CLERK})),
            Entry("集中办理时间", "review:filing_periods", frozenset({Role.BUREAU_CLERK})),
            Entry("辖区单位", "accounts:jurisdiction", frozenset({Role.BUREAU_CLERK})),
        ],
    ),
    Section("个人中心", [Entry("我的信息", "accounts:profile", ANY_SIGNED_IN), Entry("我的后台任务", "portal:job_list", ANY_SIGNED_IN)]),
    Section("系统管理", [Entry("后台管理", "admin:index", frozenset({Role.SYSADMIN}))]),
]


def _visible(node, held, current_path, user):
    if isinstance(node, Entry):
        if node.roles is not None and not (node.roles & held):
            return None
        if node.when is not None and not node.when(user):
            return None
        url = reverse(node.url_name)
        return {"label": node.label, "url": url, "active": current_path.startswith(url)}
    children = [c for c in (_visible(child, held, current_path, user) for child in node.children) if c]
    if not children:
        return None
    return {"label": node.label, "children": children, "active": any(c["active"] for c in children)}


def menu_for(user, current_path=""):
    """The sections and entries this user may use; sections with nothing visible are left out."""
    if not user.is_authenticated:
        return []
    held = set(roles_of(user))
    if is_sysadmin(user):
        held.add(Role.SYSADMIN)
    sections = [s for s in (_visible(section, held, current_path, user) for section in MENU) if s]
    _keep_longest_match(sections)
    return sections


def _entries(nodes):
    for node in nodes:
        if "children" in node:
            yield from _entries(node["children"])
        else:
            yield node


def _keep_longest_match(sections):
    """/hours/filings/ lies under /hours/ too: only the most specific matching entry is current."""
    matching = [e for e in _entries(sections) if e["active"]]
    if len(matching) > 1:
        best = max(matching, key=lambda e: len(e["url"]))
        for entry in matching:
            entry["active"] = entry is best

    def refresh(node):
        if "children" in node:
            node["active"] = any([refresh(child) for child in node["children"]])
        return node["active"]

    for section in sections:
        refresh(section)
