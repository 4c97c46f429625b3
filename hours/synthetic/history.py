"""The review history of each seeded declaration: the state it is in, the organisations it passed,
the steps hours/transitions.py would have recorded on the way, and the fields it would have set."""
from datetime import timedelta

from accounts.models import Role
from workflow.levels import LEVELS
from workflow.models import Action, State

from .data import OPINIONS, REJECT_REASONS, STATE_SHARES, WINDOW_DAYS, shares

# The workflow's review levels (workflow/levels.py), read here and nowhere else in the package, in
# the order a declaration climbs them. It waits at its own unit first, at each superior
# the reviewers choose next (next_level_choices: the units and departments above it), at the bureau
# last; a table of another shape stops here rather than seed histories the workflow cannot write.
FIRST, SUPERIOR, LAST = LEVELS
PLEDGE = {"pledge": "本人承诺以上信息真实有效"}


class Histories:
    """Decides who declares when and in which state, and writes down how each got there.

    `homes[p]` is the unit of person p (what `route` needs: org, superiors, bureau);
    `staff[(organisation id, role)]` the ids of those holding the role there."""

    def __init__(self, *, rng, now, homes, staff):
        self.rng, self.now, self.homes, self.staff = rng, now, homes, staff

    def plan(self, n):
        """Who declares, in which state, and when: decided for all N first, so that ids follow
        the creation times and the states have exactly their shares."""
        rng = self.rng
        people = len(self.homes)
        states = [state for state, count in zip([s for s, _ in STATE_SHARES], shares(n, [w for _, w in STATE_SHARES]))
                  for _ in range(count)]
        rng.shuffle(states)
        applicants = list(range(people)) + [rng.randrange(people) for _ in range(n - people)]
        rng.shuffle(applicants)
        unit_of = [self.homes[p] for p in applicants]
        # Only a unit with a superior above it can have a declaration waiting at a superior.
        stuck = [i for i in range(n) if states[i] == SUPERIOR.state and not unit_of[i].superiors]
        spare = [i for i in range(n) if states[i] != SUPERIOR.state and unit_of[i].superiors]
        rng.shuffle(spare)
        for i in stuck:
            if spare:
                j = spare.pop()
                states[i], states[j] = states[j], states[i]
            else:
                states[i] = LAST.state
        window = WINDOW_DAYS * 86400
        plans = []
        for i in range(n):
            if states[i] == State.DRAFT:
                submitted = None
                created = self.now - timedelta(seconds=rng.uniform(0, window))
            else:
                submitted = self.now - timedelta(seconds=rng.uniform(0, window))
                created = submitted - timedelta(seconds=rng.uniform(600, 7 * 86400))
            plans.append((created, submitted, states[i], applicants[i]))
        plans.sort(key=lambda plan: plan[0])
        return plans

    def route(self, info, state):
        """The organisations the declaration passes: its unit, the superiors the reviewers chose
        (usually the next one up, sometimes straight to the bureau), and the bureau."""
        route, above = [info.org], info.superiors
        while above:
            must = state == SUPERIOR.state and len(route) == 1
            if not must and self.rng.random() < 0.2:
                break
            route.append(above[0])
            above = above[1:]
        route.append(info.bureau)
        return route

    def reviewer_at(self, org, role):
        holders = self.staff[org.pk, role]
        return holders[0] if len(holders) == 1 else self.rng.choice(holders)

    def steps(self, plan, info, applicant):
        """The fields the workflow would have set, and its steps as rows without the declaration id."""
        rng = self.rng
        created, submitted, state, _ = plan
        if state == State.DRAFT:
            return {"current_org_id": None, "waiting_since": None, "decided_at": None, "rejection_reason": "",
                    "updated_at": created}, []
        route = self.route(info, state)
        levels = [FIRST] + [SUPERIOR] * (len(route) - 2) + [LAST]  # the level at each organisation of the route
        if state == FIRST.state:
            passed, final = 0, None
        elif state == SUPERIOR.state:
            passed, final = rng.randrange(1, len(route) - 1), None
        elif state == LAST.state:
            passed, final = len(route) - 1, None
        elif state == State.APPROVED:
            passed, final = len(route) - 1, State.APPROVED
        else:
            weights = [45] + [20 / max(1, len(route) - 2)] * (len(route) - 2) + [35]
            passed, final = rng.choices(range(len(route)), weights)[0], State.REJECTED
        moments = sorted(rng.uniform(0, (self.now - submitted).total_seconds()) for _ in range(passed + bool(final)))
        times = [submitted] + [submitted + timedelta(seconds=s) for s in moments]
        unit = route[0]
        steps = [{"action": Action.SUBMIT, "from_state": State.DRAFT, "to_state": FIRST.state,
                  "actor_id": applicant, "actor_role": Role.APPLICANT, "organisation_id": unit.pk,
                  "next_org_id": unit.pk, "details": PLEDGE, "created_at": times[0]}]
        for at in range(passed):
            level = levels[at]
            steps.append({"action": Action.APPROVE, "from_state": level.state, "to_state": levels[at + 1].state,
                          "actor_id": self.reviewer_at(route[at], level.role), "actor_role": level.role,
                          "organisation_id": route[at].pk, "next_org_id": route[at + 1].pk,
                          "opinion": rng.choice(OPINIONS[level.state]), "created_at": times[at + 1]})
        fields = {"rejection_reason": "", "updated_at": times[-1]}
        if final:
            level = levels[passed]
            actor = self.reviewer_at(route[passed], level.role)
            opinion = rng.choice(REJECT_REASONS if final == State.REJECTED else OPINIONS[level.state])
            steps.append({"action": Action.APPROVE if final == State.APPROVED else Action.REJECT,
                          "from_state": level.state, "to_state": final, "actor_id": actor, "actor_role": level.role,
                          "organisation_id": route[passed].pk, "next_org_id": None, "opinion": opinion,
                          "created_at": times[-1]})
            fields.update(current_org_id=None, waiting_since=None, decided_at=times[-1])
            if final == State.REJECTED:
                fields["rejection_reason"] = opinion
        else:
            fields.update(current_org_id=route[passed].pk, waiting_since=times[-1], decided_at=None)
        for step in steps:
            step["ip_address"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        return fields, steps
