"""The review levels, in the order an item climbs them: the one table that says, for each level, the
state an item waits in, the role that acts there, its queue page, its menu entry and its home-page
counter. The transition runner, jurisdiction, the queues, the menu, the home page and the synthetic
data all read it; adding a level is one entry here plus its State (workflow/models.py) and the
migration that state's choices need.

In code rather than in the database: a level is not something a bureau switches on at run time — it
needs a role, pages and a state in the schema, all of which arrive with a release."""
from dataclasses import dataclass

from accounts.models import Role

from .models import State


@dataclass(frozen=True)
class Level:
    state: str  # what an item waiting here is in
    role: str  # who acts here, for the organisation holding the item
    slug: str  # the queue page's address under /review/
    queue: str  # its URL name; the final level's page is the bureau's own 待办列表, the others share one view
    menu_section: str  # where the menu lists the queue (the seeds' layout)
    menu_label: str
    waiting_label: str  # the home page's counter of items waiting here
    final: bool = False  # approval here ends the review (the bureau's)
    overdue_query: str = ""  # what the counter of overdue items adds to the queue's address


LEVELS = (
    Level(
        State.UNIT_REVIEW, Role.UNIT_ADMIN, "unit", "review:unit_queue", "继续教育", "学时核认申报单位审核", "待单位审核",
    ),
    Level(
        State.SUPERIOR_REVIEW, Role.DEPT_ADMIN, "superior", "review:superior_queue", "继续教育", "学时核认上级单位审核",
        "待上级单位审核",
    ),
    Level(
        State.BUREAU_REVIEW, Role.BUREAU_CLERK, "todo", "review:bureau_todo", "综合柜员", "待办列表", "待办", final=True,
        overdue_query="?supervision=overdue",
    ),
)
BY_STATE = {level.state: level for level in LEVELS}
