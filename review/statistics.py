"""查询统计: the figures of a jurisdiction, from the province down to a city (a city bureau's area),
a department or superior unit (its subtree) and a unit, read from the summary tables alone
(hours.models UnitStaff, UnitYear, StateTally, LevelDays, kept in each decision's transaction;
OverdueTally, counted by a job, with the time it was counted).

A fixed number of queries whatever the size of the tree: the organisations within reach (one
query), then one query per summary table over the scope; the rows are added up here, each unit's
into the child of the current level that holds it."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, bureau_area_q, within_q
from hours import summary
from hours.models import LevelDays, OverdueTally, StateTally, UnitStaff, UnitYear
from workflow import jurisdiction
from workflow.levels import LEVELS
from workflow.models import State

FIRST_YEAR = 2019
# The states the page counts declarations in (drafts are not in the summary).
STATES = (State.UNIT_REVIEW, State.SUPERIOR_REVIEW, State.BUREAU_REVIEW, State.APPROVED, State.REJECTED)
ORG_COLUMNS = ("id", "name", "path", "depth", "kind", "bureau_id", "region")


def years():
    return list(range(FIRST_YEAR, timezone.localdate().year + 1))


@dataclass
class Figures:
    """What the page shows for a scope or one of its children."""

    staff: int = 0
    declared: int = 0
    met: int = 0
    public: Decimal = Decimal(0)
    professional: Decimal = Decimal(0)
    states: Counter = field(default_factory=Counter)
    days: dict = field(default_factory=lambda: defaultdict(Counter))  # state → {working days: passes}
    overdue: Counter = field(default_factory=Counter)  # state → declarations waiting beyond the limit

    @property
    def rate(self):
        """达标率 in per cent (met of the staff), None without staff."""
        return Decimal(self.met * 100) / self.staff if self.staff else None

    def median_days(self, state):
        """The exact median of the working days at a level, from the histogram; None without passes."""
        histogram = self.days.get(state) or {}
        n = sum(histogram.values())
        if not n:
            return None
        wanted = {(n - 1) // 2, n // 2}  # the middle one, or the middle two
        found, seen = [], 0
        for days in sorted(histogram):
            count = histogram[days]
            found += [days for i in wanted if seen <= i < seen + count]
            seen += count
        return Decimal(sum(found)) / len(found)


@dataclass(frozen=True)
class Node:
    """A place in the drill-down: a bureau's area, an organisation's subtree, an organisation's own
    figures (本级, `own`) or, for someone with several starting points, all of them (`org` None)."""

    org: dict | None
    area: bool = False
    own: bool = False

    @property
    def key(self):
        return self.org["id"] if self.org else None

    @property
    def label(self):
        if self.org is None:
            return "全部"
        if self.own:
            return f"{self.org['name']}（本级）"
        if self.area:  # a bureau's area by its region: 湖南省 (the province's 本级 bureau), 长沙市
            return self.org["region"].removesuffix("本级") or self.org["name"]
        return self.org["name"]


@dataclass
class Row:
    node: Node
    figures: Figures


@dataclass
class Statistics:
    year: int
    node: Node
    crumbs: list  # the nodes from the top down to `node`
    scope: Figures
    rows: list  # a Row per child
    by_year: list  # (year, Figures) for every year, for the scope
    levels: list  # (state, label) of the review levels
    overdue_counted_at: object  # when 督办 was last counted (None: never)


class _Tree:
    """The organisations within the user's reach (and the bureaus, whose areas a clerk may open)."""

    def __init__(self, user):
        reached = jurisdiction.statistics_q(user, unit=None)
        rows = Organisation.objects.filter(reached | Q(kind=OrganisationKind.BUREAU)).annotate(
            reached=ExpressionWrapper(reached, output_field=BooleanField())
        )
        self.orgs, self.bureaus = {}, {}
        for row in rows.values(*ORG_COLUMNS, "reached"):
            if row["kind"] == OrganisationKind.BUREAU:
                self.bureaus[row["id"]] = row
            if row["reached"]:
                self.orgs[row["id"]] = row
        self.by_path = {o["path"]: o for o in self.orgs.values()}
        tops = []
        for area, org in jurisdiction.statistics_tops(user):
            row = self.bureaus.get(org.pk) if area else self.orgs.get(org.pk)
            if row is not None:
                tops.append(Node(row, area=area))
        # A starting point inside another (a department within a clerk's area) adds nothing.
        self.tops = [t for t in tops if not any(o is not t and self.holds(o, t.org, t.area) for o in tops)]
        self.visible_bureaus = {
            b["id"]: b for b in self.bureaus.values() if any(t.area and b["path"].startswith(t.org["path"]) for t in self.tops)
        }

    def bureau_path(self, org):
        bureau = self.bureaus.get(org["bureau_id"])
        return bureau["path"] if bureau else None

    def holds(self, node, org, as_area=False):
        """Whether `node` takes in `org` (as an area: a bureau's area takes in the areas below it)."""
        if node.org is None:
            return True
        if node.own:
            return not as_area and org["id"] == node.key
        if as_area:
            return node.area and org["path"].startswith(node.org["path"])
        if node.area:
            return (self.bureau_path(org) or "\0").startswith(node.org["path"])
        return org["path"].startswith(node.org["path"])

    def first_child(self, children):
        """A function giving, for an organisation, the index of the first of `children` that takes it
        in (as `holds` says), by looking its paths up rather than asking every child: a province
        has thousands of units and a hundred children."""
        own, areas, subtrees = {}, {}, {}
        for i, child in enumerate(children):
            if child.org is None:
                continue
            (own if child.own else areas if child.area else subtrees).setdefault(child.org["path"], i)
        step = Organisation.steplen

        def prefixes(path):
            return (path[:end] for end in range(step, len(path) + 1, step))

        def first(org):
            found = [own[org["path"]]] if org["path"] in own else []
            found += [areas[p] for p in prefixes(self.bureau_path(org) or "") if p in areas]
            found += [subtrees[p] for p in prefixes(org["path"]) if p in subtrees]
            return min(found, default=None)

        return first

    @property
    def top(self):
        return self.tops[0] if len(self.tops) == 1 else Node(None)

    def node(self, org_id):
        """The node for the `org` parameter: None for one outside reach."""
        if org_id is None:
            return self.top
        if org_id in self.orgs:
            return Node(self.orgs[org_id])
        if org_id in self.visible_bureaus:
            return Node(self.visible_bureaus[org_id], area=True)
        return None

    def scope(self, node):
        return [o for o in self.orgs.values() if self.holds(node, o)]

    def children(self, node, scope):
        if node.org is None:
            return list(self.tops)
        if node.area:
            areas = [
                Node(b, area=True) for b in sorted(self.visible_bureaus.values(), key=lambda b: b["path"])
                if b["depth"] == node.org["depth"] + 1 and b["path"].startswith(node.org["path"])
            ]
            return areas + self._highest([o for o in scope if o["bureau_id"] == node.key])
        own = [Node(node.org, own=True)]
        return own + self._highest([o for o in scope if o["id"] != node.key])

    def _highest(self, orgs):
        """The organisations of `orgs` with none of the others above them, each standing for its subtree."""
        paths = {o["path"] for o in orgs}
        step = Organisation.steplen
        return [
            Node(o) for o in sorted(orgs, key=lambda o: o["path"])
            if not any(o["path"][:i] in paths for i in range(step, len(o["path"]), step))
        ]

    def parent(self, node):
        if node.org is None or node in self.tops:
            return None
        if not node.area:
            path, step = node.org["path"], Organisation.steplen
            for i in range(len(path) - step, 0, -step):
                if path[:i] in self.by_path:
                    return Node(self.by_path[path[:i]])
            bureau = self.visible_bureaus.get(node.org["bureau_id"])
            if bureau is not None:
                return Node(bureau, area=True)
        else:
            above = next((b for b in self.visible_bureaus.values() if b["path"] == node.org["path"][: -Organisation.steplen]), None)
            if above is not None:
                return Node(above, area=True)
        return self.top if self.top.org is None else None

    def crumbs(self, node):
        way = [node]
        while (up := self.parent(way[-1])) is not None and len(way) <= 64:
            way.append(up)
        return way[::-1]


def _node_q(node, unit):
    """The node's units as a filter through `unit` (containment reads only the paths)."""
    if node.org is None:
        return Q()
    if node.area:
        return bureau_area_q(Organisation(path=node.org["path"]), unit)
    return within_q(Organisation(path=node.org["path"]), unit)


def default_year(by_year):
    """The last complete year if it has figures, else this year."""
    last = timezone.localdate().year - 1
    return last if by_year.get(last) and by_year[last].declared else last + 1


def statistics(*, user, org_id=None, year=None):
    """The figures of the node `org_id` (None: the user's top level) for `year` (None: the default);
    None when `org_id` is outside the user's reach."""
    tree = _Tree(user)
    node = tree.node(org_id)
    if node is None:
        return None
    scope_orgs = tree.scope(node)
    children = tree.children(node, scope_orgs)
    reach = jurisdiction.statistics_q(user) & _node_q(node, "organisation")

    # Added up in the database by (bureau, path prefix): a prefix as deep as the deepest child, so that
    # each group lies within one child, found by looking its paths up. A province of 20,000 units
    # comes back as a few hundred groups, not a row per unit and year.
    first_child = tree.first_child(children)
    depth = max(
        (len(c.org["path"]) for c in children if c.org and not c.area and not c.own),
        default=len(node.org["path"]) if node.org else Organisation.steplen,
    )
    group = {"bureau": F("organisation__bureau_id"), "prefix": Substr("organisation__path", 1, depth)}
    into = {}
    total, parts = Figures(), [Figures() for _ in children]

    def targets(row):
        key = (row["bureau"], row["prefix"])
        if key not in into:
            into[key] = first_child({"id": None, "path": row["prefix"], "bureau_id": row["bureau"]})
        i = into[key]
        return (total,) if i is None else (total, parts[i])

    def grouped(model, *fields, **filters):
        rows = model.objects.filter(reach, **filters).annotate(**group).values("bureau", "prefix", *fields[:-1])
        return rows.annotate(n=Sum(fields[-1])).order_by()

    for row in grouped(UnitStaff, "staff"):
        for f in targets(row):
            f.staff += row["n"]

    by_year = {y: Figures(staff=total.staff) for y in years()}
    for row in UnitYear.objects.filter(reach, year__in=list(by_year)).values("year").annotate(
        declared=Sum("declared"), met=Sum("met"), public=Sum("public"), professional=Sum("professional")
    ).order_by():
        f = by_year[row["year"]]
        f.declared, f.met, f.public, f.professional = row["declared"], row["met"], row["public"], row["professional"]
    if year not in by_year:
        year = default_year(by_year)
    this_year = UnitYear.objects.filter(reach, year=year).annotate(**group).values("bureau", "prefix").annotate(
        declared=Sum("declared"), met=Sum("met"), public=Sum("public"), professional=Sum("professional")
    ).order_by()
    for row in this_year:
        for f in targets(row):
            f.declared += row["declared"]
            f.met += row["met"]
            f.public += row["public"]
            f.professional += row["professional"]

    for row in grouped(StateTally, "state", "count", year=year):
        for f in targets(row):
            f.states[row["state"]] += row["n"]
    for row in grouped(LevelDays, "state", "days", "count", year=year):
        for f in targets(row):
            f.days[row["state"]][row["days"]] += row["n"]
    # 督办 as last counted (hours.summary.overdue_refresh; lateness grows with the clock, not decisions).
    for row in grouped(OverdueTally, "state", "count", year=year):
        for f in targets(row):
            f.overdue[row["state"]] += row["n"]

    return Statistics(
        year=year,
        node=node,
        crumbs=tree.crumbs(node),
        scope=total,
        rows=[Row(child, part) for child, part in zip(children, parts)],
        by_year=sorted(by_year.items()),
        levels=[(level.state, State(level.state).label) for level in LEVELS],
        overdue_counted_at=summary.overdue_counted_at(),
    )
