import hashlib
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.models import Role
from accounts.roles import organisations_for
from core.forms import filters_of
from core.proxy import client_ip
from hours import selectors as hours_selectors, transitions
from hours.models import Declaration
from workflow import jurisdiction, periods
from workflow.levels import BY_STATE
from workflow.models import Action, FilingPeriod, State
from workflow.runner import STALE_MESSAGE, WorkflowError, next_level_choices

from . import checks, exports, selectors, services
from .forms import (
    BatchForm, DecisionForm, FilingPeriodForm, MyDecisionsForm, QueueFilterForm, RemindersSentForm, RevokeForm, TodoFilterForm,
)

QUEUE_PAGE_SIZE = 10


EXPORT_REFUSED = "筛选条件有误，请修改后再导出。"


def _listed(request, filters, *, selector, columns, title):
    """(the rows a list page shows, None), or (None, its Excel file) when export=xlsx is asked.
    Filters fail closed: an invalid filter (None) lists nothing and exports nothing."""
    export = request.GET.get("export") == "xlsx"
    if filters is None:
        if export:
            messages.error(request, EXPORT_REFUSED)
        return Declaration.objects.none(), None
    found = selector(user=request.user, filters=filters)
    if export:
        return None, exports.queue_xlsx(found, title)
    return selectors.shown(found, columns), None


def _queue(request, *, title, selector, template="review/queue.html"):
    form = QueueFilterForm(request.GET or None, initial={"status": "pending"})
    filters = filters_of(form, {"status": "pending"})
    rows, export = _listed(request, filters, selector=selector, columns=selectors.QUEUE_COLUMNS, title=title)
    if export:
        return export
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        # The case pages carry the list (上一件 / 下一件); unfiltered, it is the one they fall back to.
        request, template, {"title": title, "form": form, "page": page, "case_query": _case_query(request.GET and request.get_full_path_info())},
        status=200 if filters is not None else 400,
    )


def level_queue(request, state):
    """学时核认申报单位审核, 学时核认上级单位审核: the queue of one review level, for the role acting there."""
    level = BY_STATE[state]

    @role_required(level.role)
    def page(request):
        return _queue(request, title=level.menu_label, selector=partial(selectors.level_queue, level=level))

    return page(request)


TODO_PAGE_SIZES = (15, 50, 100)
# What a refused batch leaves for the 待办列表 to show again: the ticks, the decision and why it was
# refused (read once, by the next 待办列表 page). Not the reason: typed text shown on a later page
# could be anything (a number of someone's); batch.js keeps it in the browser and puts it back.
KEPT = "review_batch_kept"
# A decision refused because the case changed after the page was drawn; the case is shown again.
STALE_SHOWN = "该申报已被他人处理，以下为最新状态。"
DECISIONS = BatchForm.base_fields["decision"].choices


def page_size(request, sizes):
    """The `per_page` asked for when it is one of `sizes`, else the first: any other value is ignored."""
    asked = request.GET.get("per_page", "")
    return int(asked) if asked in {str(n) for n in sizes} else sizes[0]


def _query_without(query, *keys, **values):
    query = query.copy()
    for key in keys:
        query.pop(key, None)
    for key, value in values.items():
        if value:
            query[key] = value
    return query.urlencode()


@role_required(Role.BUREAU_CLERK)
def bureau_todo(request):
    form = TodoFilterForm(request.GET or None)
    filters = filters_of(form, {})
    rows, export = _listed(request, filters, selector=selectors.bureau_todo, columns=selectors.TODO_COLUMNS, title="待办列表")
    if export:
        return export
    per_page = page_size(request, TODO_PAGE_SIZES)
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    counts = selectors.pending_counts(user=request.user).get(State.BUREAU_REVIEW, {"waiting": 0, "overdue": 0})
    overdue_before = selectors.overdue_before(request.user)
    kept = request.session.pop(KEPT, None) or {}
    kept_ids = set(kept.get("ids", ()))
    if request.GET.get("pick") == "page":  # 全选本页 without JavaScript: the page again, every row ticked
        kept_ids = {row.pk for row in page}
    # After a refused batch its decision stays chosen (none, if none was); else 审核通过 is offered.
    chosen = kept.get("decision", "") if kept else "approve"
    query = request.GET.copy()
    for key in ("export", "pick"):
        query.pop(key, None)
    filters_query = _query_without(query, "page")
    verdict = (filters or {}).get("checks", "")
    return render(
        request,
        "review/todo.html",
        {
            "form": form, "page": page, "counts": counts, "overdue_before": overdue_before,
            # The batch form carries the list's query (filters, page size) and page: 全部筛选结果 decides
            # what the filter finds on every page, and a refused batch returns to this very page.
            "filters_query": filters_query,
            "case_query": _case_query(request.GET and request.get_full_path_info()),
            "page_sizes": TODO_PAGE_SIZES, "per_page": per_page,
            "checks_tabs": [
                (label, "?" + _query_without(query, "page", "checks", checks=key), key == verdict)
                for key, label in selectors.CHECKS_FILTERS
            ],
            "pick_page_query": _query_without(query, pick="page"),
            "picked": kept_ids,
            "decisions": [(value, label, value == chosen) for value, label in DECISIONS],
            "decision_label": dict(DECISIONS).get(chosen, "未选择审核结果"),
            "restore_reason": bool(kept),
            "batch_errors": kept.get("errors", {}),
            # Said in the bar unless said beside their field (the reason).
            "bar_errors": [e for name, errors in kept.get("errors", {}).items() if name != "reason" for e in errors],
            "newest_first": (filters or {}).get("order") == "newest",
        },
        status=200 if filters is not None else 400,
    )


def _fingerprint(seen):
    """Names exactly which declarations, at which arrival, a confirmation page offered to decide."""
    versions = (f"{pk}@{since.isoformat() if since else ''}" for pk, since in sorted(seen.items()))
    return hashlib.sha256(",".join(versions).encode()).hexdigest()


def _todo_url(filters, page=None):
    """The 待办列表 with the query the batch form carried (re-encoded: it came from the browser)."""
    query = QueryDict(filters or "", mutable=True)
    query.pop("page", None)
    if page and page > 1:
        query["page"] = page
    query = query.urlencode()
    return reverse("review:bureau_todo") + (f"?{query}" if query else "")


def _back_to_todo(request, form, errors=None):
    """A refused batch: back to the list it came from (a GET, so a reload re-posts nothing), with
    its ticks and decision kept and what was wrong said, in the messages and beside the fields."""
    data = getattr(form, "cleaned_data", {})
    errors = errors if errors is not None else {name: list(messages_) for name, messages_ in form.errors.items()}
    decision = form.data.get("decision", "")
    request.session[KEPT] = {"ids": data.get("ids") or [], "decision": decision if decision in dict(DECISIONS) else "", "errors": errors}
    for field_errors in errors.values():
        for error in field_errors:
            messages.error(request, error)
    return redirect(_todo_url(data.get("filters", ""), data.get("page")))


@require_POST
@role_required(Role.BUREAU_CLERK)
def bureau_batch(request):
    form = BatchForm(request.POST)
    if not form.is_valid():
        return _back_to_todo(request, form)
    data = form.cleaned_data
    back = _todo_url(data["filters"], data["page"])
    if data["scope"] == "filtered":
        # The filter is checked again here: an invalid one must not widen into "everything".
        filter_form = TodoFilterForm(QueryDict(data["filters"]))
        if not filter_form.is_valid():
            return _back_to_todo(request, form, {"filters": ["筛选条件有误，未进行批量审核，请修改筛选条件后重新查询。"]})
        # Each case as it is now: one resubmitted after the confirmation is another version, so the
        # fingerprint changes and the clerk confirms again.
        seen = dict(selectors.bureau_todo(user=request.user, filters=filter_form.cleaned_data).values_list("pk", "waiting_since"))
        ids = list(seen)
        if not ids:
            return _back_to_todo(request, form, {"filters": ["筛选结果中没有待审核的申报。"]})
        fingerprint = _fingerprint(seen)
        if not data["confirmed"] or data["fingerprint"] != fingerprint:
            if data["confirmed"]:
                # Cases arrived or were decided by others since the confirmation page: ask again.
                counts = f"（确认时为 {data['count']} 件，现为 {len(ids)} 件）" if data["count"] is not None else ""
                messages.warning(request, f"筛选结果已变化{counts}，请核对后重新确认。")
            # Deciding every page of the list is one click away from a mistake: say how many first.
            # 返回修改 finds the decision as it was (and batch.js the reason).
            request.session[KEPT] = {"decision": data["decision"]}
            decision = dict(DECISIONS)[data["decision"]]
            return render(
                request, "review/batch_confirm.html",
                {"count": len(ids), "fingerprint": fingerprint, "data": data, "decision": decision, "back": back},
            )
    else:
        ids, seen = data["ids"], data["seen"]
    batch = {
        "user": request.user, "ids": ids, "decision": data["decision"], "reason": data.get("reason", ""),
        "ip": client_ip(request), "seen": seen,
    }
    # Decided (or queued): nothing of this batch is offered again on the next 待办列表.
    request.session.pop(KEPT, None)
    if len(ids) > services.BATCH_IN_REQUEST_MAX:
        job = services.declaration_batch_enqueue(**batch)
        return redirect("portal:job", pk=job.pk)
    results = services.declaration_batch_decide(**batch)
    done = sum(r.ok for r in results)
    return render(request, "review/batch_result.html", {"results": results, "done": done, "failed": len(results) - done, "back": back})


def _version_since(declaration):
    """The version of the case a page shows (with its state): its arrival at the level it waits at."""
    return declaration.waiting_since.isoformat() if declaration.waiting_since else ""


def _decision_form(declaration, user, data=None):
    """The decision form if `user` holds the declaration at its current level, else None. Shown
    first with the direct superior (the nearest above the holder) as the next level and, at the
    unit, 是否在编 / 审核原则 as this reviewer last chose them for the same unit."""
    if jurisdiction.reviewer(declaration, user) is None:
        return None
    final = BY_STATE[declaration.state].final
    unit_level = declaration.state == State.UNIT_REVIEW
    superiors, bureau = next_level_choices(declaration, declaration.current_org)
    initial = {
        "expected_state": declaration.state, "expected_since": _version_since(declaration),
        "nature": declaration.organisation.nature,
    }
    initial.update({"next_type": "superior", "next_org": superiors[-1].pk} if superiors else {"next_type": "bureau"})
    remembered = None
    if unit_level and data is None:
        remembered = selectors.remembered_unit_details(user=user, organisation=declaration.organisation)
    return DecisionForm(
        data,
        superiors=superiors,
        bureau=bureau,
        final=final,
        unit_level=unit_level,
        determinable=hours_selectors.determinable_items(declaration),
        remembered=remembered,
        initial=initial,
    )


# --- where the reviewer came from: 上一件 / 下一件 through the list they opened the case from ---------

FROM_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ReviewList:
    """A review list as the reviewer left it: its name, the address back to it, the `from` value
    the case pages carry on, and its rows' declaration ids in order (all pages)."""

    title: str
    url: str
    source: str
    ids: list


def _list_kind(view_name, kwargs):
    """(title, filter form, filters when nothing is asked, selector) of a review list page."""
    if view_name == "review:bureau_todo":
        return "待办列表", TodoFilterForm, {}, selectors.bureau_todo
    if view_name == "review:my_decisions":
        return "我的经办", MyDecisionsForm, {}, selectors.my_decisions
    level = BY_STATE.get(kwargs.get("state"))
    if level is not None and view_name == level.queue:
        return level.menu_label, QueueFilterForm, {"status": "pending"}, partial(selectors.level_queue, level=level)
    return None


def _list_source(source):
    """(the list's view name, its path and query) if `source` is the address of a review list page
    (path without the script prefix, and query), else None: nothing else is followed or linked."""
    if not source or len(source) > FROM_MAX_LENGTH or not source.startswith("/"):
        return None
    path, _, query = source.partition("?")
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if _list_kind(match.view_name, match.kwargs) is None:
        return None
    data = QueryDict(query, mutable=True)
    data.pop("export", None)
    return match, path, data


def _review_list(user, source):
    """The list at `source` for this reviewer, or None. Its rows come from the list's own selector
    with the user's jurisdiction and its own filter, validated again: an invalid filter gives no
    rows (filters fail closed), so 上一件 / 下一件 never leave what the list showed."""
    found = _list_source(source)
    if found is None:
        return None
    match, path, data = found
    title, form_class, default, selector = _list_kind(match.view_name, match.kwargs)
    asked = data.copy()
    asked.pop("page", None)
    filters = filters_of(form_class(asked or None), default)
    ids = selectors.list_ids(selector(user=user, filters=filters)) if filters is not None else []
    query = data.urlencode()
    return ReviewList(title, reverse(match.view_name) + (f"?{query}" if query else ""), f"{path}?{query}" if query else path, ids)


def _path_info(url):
    return "/" + url.removeprefix(get_script_prefix())


def _came_from(request, declaration, form):
    """The list the case was opened from (`?from=`), else, for the reviewer holding it now, the
    queue of its level as it first opens."""
    found = _review_list(request.user, request.GET.get("from"))
    if found is None and form is not None:
        found = _review_list(request.user, _path_info(reverse(BY_STATE[declaration.state].queue)))
    return found


def _case_query(source):
    return "?" + urlencode({"from": source}) if source else ""


def _case_url(pk, source=None):
    return reverse("review:case", args=[pk]) + _case_query(source)


def _navigation(came_from, pk):
    if came_from is None:
        return None
    place = selectors.place_in(came_from.ids, pk)
    return {
        "title": came_from.title, "back": came_from.url, "place": place,
        "previous": _case_url(place.previous, came_from.source) if place.previous else None,
        "next": _case_url(place.next, came_from.source) if place.next else None,
    }


# A decision refused by the form is shown on the case page after a redirect (a reload must never
# send it again): what was typed is kept in the session for that one page view (each field's first
# value, bounded: the form then says how long it was).
CARRIED = "review:decision:{}"
CARRIED_MAX_LENGTH = 10_000


def _carry(request, declaration, form, *, version_bound=True):
    """What was typed, for the page shown next. Without `version_bound`, not the hours determined
    for the items of the version the form was about (the page will show another)."""
    request.session[CARRIED.format(declaration.pk)] = {
        name: [value[:CARRIED_MAX_LENGTH] for value in request.POST.getlist(name)[:1]]
        for name in form.fields if name in request.POST and (version_bound or name not in form.determinable)
    }


def _carried(request, declaration):
    """What was typed into the decision form before its errors (or a stale refusal) brought the page
    back, for the version of the case this page shows: the one the next decision is about."""
    kept = request.session.pop(CARRIED.format(declaration.pk), None)
    if not isinstance(kept, dict):
        return None
    data = QueryDict(mutable=True)
    for name, values in kept.items():
        data.setlist(name, values)
    data["expected_state"] = declaration.state
    data["expected_since"] = _version_since(declaration)
    return data


def _approved_message(declaration, target):
    """Where an approved case went: the superior unit by name, 人社部门, or the end of the review."""
    said = f"申报 {declaration.business_no}（{declaration.name}）已审核通过"
    if target is None:
        return f"{said}，审核办结。"
    return f"{said}，已送{selectors.destination_label(target)}审核。"


def _decide(request, declaration, form, came_from):
    if form is None:
        # A second click on the decision form (or a page left open while a colleague decided)
        # finds the declaration moved on: say so, as the workflow does, rather than 403.
        seen = request.POST.get("expected_state")
        if seen in BY_STATE and seen != declaration.state:
            messages.error(request, STALE_MESSAGE)
            return redirect(came_from.url if came_from else BY_STATE[seen].queue)
        raise PermissionDenied("该申报不在您的审核环节。")
    source = came_from.source if came_from else None
    if not form.is_valid():
        _carry(request, declaration, form)
        return redirect(_case_url(declaration.pk, source) + "#decision-errors")
    data = form.cleaned_data
    back = came_from.url if came_from else reverse(_queue_url_for(declaration))
    try:
        if data["decision"] == "approve":
            transitions.declaration_approve(
                declaration=declaration, user=request.user, next_org=data.get("target"), opinion=data.get("opinion", ""),
                details=form.unit_details(), ip=client_ip(request), expected_state=data.get("expected_state") or None,
                expected_since=data.get("expected_since"), determined_hours=form.determined_hours(),
            )
            messages.success(request, _approved_message(declaration, data.get("target")))
        else:
            transitions.declaration_reject(
                declaration=declaration, user=request.user, reason=data["opinion"], details=form.unit_details(),
                ip=client_ip(request), expected_state=data.get("expected_state") or None, expected_since=data.get("expected_since"),
            )
            messages.success(request, f"申报 {declaration.business_no}（{declaration.name}）审核不通过，已退回申请人。")
    except WorkflowError as exc:
        if exc.code == "stale":
            # The case moved on under the page: show it as it is now, with what was typed kept but
            # the hours determined for the old version's items.
            messages.error(request, STALE_SHOWN)
            _carry(request, declaration, form, version_bound=False)
            return redirect(_case_url(declaration.pk, source) + "#decision")
        messages.error(request, exc.message)
        return redirect(back)
    if data["open_next"] and came_from:
        now = _review_list(request.user, came_from.source)
        following = selectors.next_after(came_from.ids, declaration.pk, now.ids if now else [])
        if following:
            return redirect(_case_url(following, source))
        messages.info(request, f"“{came_from.title}”中已没有下一件。")
    return redirect(back)


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def case(request, pk):
    declaration = hours_selectors.declaration_get_for_user(user=request.user, pk=pk, people=True)
    posted = request.method == "POST"
    form = _decision_form(declaration, request.user, request.POST if posted else _carried(request, declaration))
    came_from = _came_from(request, declaration, form)
    if posted:
        return _decide(request, declaration, form, came_from)
    workspace = hours_selectors.declaration_workspace(declaration)
    steps = list(declaration.steps.select_related("actor", "organisation", "next_org"))
    context = {
        "declaration": declaration,
        **workspace,
        "checks": checks.automatic_checks(declaration, workspace),
        "filings": hours_selectors.approved_filings_for(declaration),
        "form": form,
        "steps": steps,
        "changes": hours_selectors.changes_since_rejection(steps, workspace),
        "overdue": selectors.is_overdue(declaration),
        "at_final_level": BY_STATE[declaration.state].final if declaration.state in BY_STATE else False,
        "may_revoke": _may_revoke(declaration, request.user),
        "nav": _navigation(came_from, declaration.pk),
        "case_query": _case_query(came_from.source if came_from else None),
    }
    return render(request, "review/case.html", context)


def _queue_url_for(declaration):
    level = BY_STATE.get(declaration.state)
    return level.queue if level else "review:bureau_todo"


MINE_PAGE_SIZE = 15


def _day_ranges(request):
    """我的经办's one-click ranges (今天, 昨天, 近7天), each marked when it is the one shown."""
    today = timezone.localdate()
    ranges = []
    for label, start, end in (("今天", today, today), ("昨天", today - timedelta(days=1), today - timedelta(days=1)),
                              ("近7天", today - timedelta(days=6), today)):
        query = {"decided_from": start.isoformat(), "decided_to": end.isoformat()}
        current = all(request.GET.get(k) == v for k, v in query.items()) and not request.GET.get("q")
        ranges.append({"label": label, "query": "?" + urlencode(query), "current": current})
    return ranges


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def my_decisions(request):
    """我的经办: what I decided, searchable, so that a reviewer can answer an applicant's call."""
    form, page, status = _filtered_page(request, MyDecisionsForm, selectors.my_decisions, MINE_PAGE_SIZE)
    for step in page.object_list:
        step.where = selectors.where_it_went(step)
        step.rejected = step.action == Action.REJECT
        step.mine_now = jurisdiction.reviewer(step.declaration, request.user) is not None
    return render(
        request, "review/my_decisions.html",
        {"form": form, "page": page, "ranges": _day_ranges(request), "case_query": _case_query(request.get_full_path_info())},
        status=status,
    )


def _filtered_page(request, form_class, rows_for, page_size):
    """(form, page, status) of a searchable list: filters fail closed, an invalid one showing its
    errors over no rows (400)."""
    form = form_class(request.GET or None)
    filters = filters_of(form, {})
    rows = rows_for(user=request.user, filters=filters or {})
    if filters is None:
        rows = rows.none()
    return form, Paginator(rows, page_size).get_page(request.GET.get("page")), 200 if filters is not None else 400


REMINDERS_PAGE_SIZE = 15
CHANNEL_LABELS = {"portal": "站内消息", "email": "电子邮件", "sms": "短信"}


@role_required(Role.BUREAU_CLERK)
def reminders_sent(request):
    """消息推送管理: the reminders people in the bureau's area were sent, by whom and how."""
    form, page, status = _filtered_page(request, RemindersSentForm, selectors.reminders_sent, REMINDERS_PAGE_SIZE)
    for reminder in page.object_list:
        reminder.channel_labels = "、".join(CHANNEL_LABELS.get(c, c) for c in reminder.channels)
    return render(request, "review/reminders_sent.html", {"form": form, "page": page}, status=status)


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def case_zip(request, pk):
    """打包下载: every material of the declaration in one zip, under readable Chinese names. A large
    case is packed by a background job; the reviewer downloads the zip from the job's page."""
    declaration = hours_selectors.declaration_get_for_user(user=request.user, pk=pk)
    if exports.case_zip_is_large(declaration):
        job = services.case_zip_enqueue(user=request.user, declaration=declaration)
        return redirect("portal:job", pk=job.pk)
    handle = tempfile.TemporaryFile()
    exports.case_zip_write(declaration, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=exports.case_zip_filename(declaration), content_type="application/zip")


@role_required(Role.BUREAU_CLERK)
def filing_periods(request):
    """集中办理时间: when declarations may be submitted in this bureau's jurisdiction, and the 督办 limit."""
    bureau = organisations_for(request.user, Role.BUREAU_CLERK)[0]
    today = timezone.localdate()
    current = periods.period_for(bureau, today.year)
    initial = {"year": today.year, "supervision_days": periods.DEFAULT_SUPERVISION_DAYS}
    if current and current.bureau_id == bureau.pk:
        initial.update(opens_on=current.opens_on, closes_on=current.closes_on, supervision_days=current.supervision_days)
    form = FilingPeriodForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.filing_period_set(bureau=bureau, user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "集中办理时间已保存。")
            return redirect("review:filing_periods")
    return render(
        request,
        "review/filing_periods.html",
        {
            "form": form,
            "bureau": bureau,
            "current": current,
            "days_left": periods.days_left(bureau, today),
            "history": FilingPeriod.objects.filter(bureau=bureau).order_by("-year"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(Role.BUREAU_CLERK)
def case_accept(request, pk):
    declaration = hours_selectors.declaration_get_for_user(user=request.user, pk=pk)
    try:
        transitions.declaration_accept(declaration=declaration, user=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已受理申报 {declaration.business_no}。")
    found = _list_source(request.GET.get("from"))
    return redirect(_case_url(pk, request.GET.get("from") if found else None))


def _may_revoke(declaration, user):
    """Whether the case page offers 撤销认定: an approved declaration with years still counting, to
    a clerk of the bureau that approved it or of one above."""
    return (
        declaration.is_approved and bool(hours_selectors.revocable_years(declaration))
        and jurisdiction.revoker(hours_selectors.approving_bureau(declaration), user) is not None
    )


@role_required(Role.BUREAU_CLERK)
def case_revoke(request, pk):
    """撤销认定: the form, then (POST) what it will do to confirm, then (POST, confirmed) done. A
    second confirmation (a double click, the back button) is told the years are revoked already."""
    declaration = hours_selectors.declaration_get_for_user(user=request.user, pk=pk)
    if not declaration.is_approved or jurisdiction.revoker(hours_selectors.approving_bureau(declaration), request.user) is None:
        raise PermissionDenied(transitions.REVOKE_FORBIDDEN)
    years = list(declaration.year_records.order_by("year").values_list("year", flat=True))
    revocable = hours_selectors.revocable_years(declaration)
    if request.method != "POST" and not revocable:
        messages.info(request, f"申报 {declaration.business_no} 各年度的认定均已撤销。")
        return redirect("review:case", pk=pk)
    form = RevokeForm(request.POST if request.method == "POST" else None, declaration=declaration, years=years, revocable=revocable)
    context = {"declaration": declaration, "form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if not data["confirmed"]:
            return render(request, "review/revoke_confirm.html", {
                **context, "years": form.years(), "reason_label": dict(form.fields["reason"].choices)[data["reason"]],
            })
        try:
            revocation = transitions.declaration_revoke(
                declaration=declaration, user=request.user, years=form.years(), reason=data["reason"],
                reason_text=data["reason_text"], ip=client_ip(request),
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"已撤销申报 {declaration.business_no}（{declaration.name}）{revocation.years_label}年度的认定，已通知申请人和审核人员。"
            )
        return redirect("review:case", pk=pk)
    return render(request, "review/revoke.html", context, status=400 if form.errors else 200)
