from functools import wraps
from urllib.parse import quote, urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.models import Organisation, OrganisationKind, Role, User
from accounts.roles import has_role
from core import wording
from core.forms import filters_of
from core.inputs import parse_id, parse_ids, redirect_target
from core.masking import mask_id_number
from core.proxy import client_ip
from core.storage import file_response
from hours import transitions
from workflow import jurisdiction, periods
from workflow.runner import WorkflowError

from . import imports, rules, selectors, services
from .forms import (
    ActivityChoiceForm,
    ApplicantForm,
    EvidenceForm,
    FactsForm,
    ItemEvidenceForm,
    StaffSearchForm,
    SubmitForm,
    TrainingImportForm,
    YearForm,
)
from .models import Declaration, Item
from .policies import default_rule_set, policy_for
from .uploads import ALLOWED_HINT
from .years import FIRST_YEAR, allowed_years

PAGE_SIZE = 10


def _gone(exc):
    """Whether a refusal says the declaration was deleted meanwhile (another tab, a double click)."""
    return getattr(exc, "code", None) == "gone" or (isinstance(exc, WorkflowError) and exc.code == "missing")


def _list_of(declaration):
    """The list a declaration is reached from: the applicant's own, or the unit's 单位代为申报."""
    return redirect("hours:proxy_list" if declaration.declared_by_id else "hours:declaration_list")


def _errors(exc):
    if hasattr(exc, "message_dict"):
        return wording.joined(m for msgs in exc.message_dict.values() for m in msgs)
    return wording.joined(getattr(exc, "messages", None) or [str(exc)])


def _refused(request, form, exc, *, back, by_field=False):
    """A service's refusal of a form, put on the form (by field where it names one of the form's);
    if what the form changes was deleted meanwhile, said as a message instead and `back` (its list) returned."""
    if _gone(exc):
        messages.error(request, _errors(exc))
        return back
    if by_field and hasattr(exc, "message_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, _errors(exc))
    return None


def _attempt(request, action, success):
    """Run a service or workflow call: its refusal becomes the error message, its success the given one."""
    try:
        action()
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return False
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return False
    messages.success(request, success)
    return True


def _declarer_post(view):
    """A change to a declaration: POST only, by its applicant or a unit or department declaring for them."""
    return require_POST(role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN)(view))


def _status_page(request, listing):
    """A list page filtered by review status: the page asked for of `listing(status)`, an unknown
    status meaning all, and the filters to choose from."""
    status = request.GET.get("status", "all")
    if status not in selectors.STATUS_FILTERS:
        status = "all"
    page = Paginator(listing(status), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "status": status, "filters": [(k, v[0]) for k, v in selectors.STATUS_FILTERS.items()]}


@role_required(Role.APPLICANT)
def declaration_list(request):
    unit = request.user.organisation  # the window needs only its bureau's id (workflow/periods.py)
    window_closed, days_left = periods.window(unit) if unit else (None, None)
    return render(
        request,
        "hours/declaration_list.html",
        {
            **_status_page(request, lambda status: selectors.my_declarations(user=request.user, status=status)),
            "window_closed": window_closed,
            "days_left": days_left,
        },
    )


def _identity_initial(user):
    # Shown only (disabled fields; the services take them from the account): the number masked as on every page.
    identity = services.identity_of(user) if user.id_number else {"name": user.name, "gender": user.gender}
    return {**identity, "id_number": mask_id_number(user.id_number)}


def _applicant_initial(user):
    """Step 6 as a new declaration starts: the account's data, what the person declared last time
    (拟申报职称, 申报大类, 子专业名称) and last year, the year most people declare."""
    last_year = timezone.localdate().year - 1
    return {
        **_identity_initial(user),
        "ethnicity": user.ethnicity or "汉族",
        "unit": str(user.organisation or "尚未确认"),
        "phone": user.phone,
        "education": user.education,
        "start_year": last_year,
        "end_year": last_year,
        **selectors.declared_before(user),
    }


def _approved_again(form, applicant, *, keep=None, exclude=None):
    """A span taking in years the applicant already has approved is saved only once they confirm
    it (ApplicantForm.again): declared again, those years count from the declaration approved last.
    Returns the approved declarations the span meets (`keep`: years already in the draft, not asked
    about again), and puts the question on the form while it is not confirmed."""
    data = form.cleaned_data
    start, end = data["start_year"], data["end_year"]
    keep = keep or range(0)
    met = [
        d for d in selectors.approved_in_span(applicant, start, end, exclude=exclude)
        if any(y not in keep for y in range(max(d.start_year, start), min(d.end_year, end) + 1))
    ]
    if met and not data.get("again"):
        form.add_error("again", "请确认再次申报已审核通过的年度，或修改申报年度。")
    return met


def _declare(request, form, *, applicant, proxy_for=None):
    """Step 6 for a new declaration (the applicant's own or the unit's on their behalf): saved with a
    year record for each year of its span, then on to the workspace."""
    again = []
    if request.method == "POST" and form.is_valid():
        again = _approved_again(form, applicant)
        if form.is_valid():  # nothing approved in the span, or declared again knowingly
            data = form.cleaned_data
            try:
                declaration = services.declaration_create(
                    user=request.user, applicant=applicant, data=data, start_year=data["start_year"], end_year=data["end_year"],
                    with_years=True,
                )
            except services.AlreadyOpen as exc:
                return _open_instead(request, form, exc, proxy_for=proxy_for)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _errors(exc))
            else:
                if proxy_for:
                    messages.success(request, f"已为{applicant.name}暂存申报，业务编号 {declaration.business_no}。")
                else:
                    messages.success(request, f"已暂存，业务编号 {declaration.business_no}。请在各年度下添加学习项目并上传佐证材料。")
                return redirect("hours:declaration_edit", pk=declaration.pk)
    return _step6(request, form, declaration=None, applicant=applicant, proxy_for=proxy_for, again=again)


def _step6(request, form, *, declaration, applicant, proxy_for=None, again=()):
    approved = selectors.approved_in_span(applicant, FIRST_YEAR, timezone.localdate().year)
    context = {"form": form, "declaration": declaration, "proxy_for": proxy_for, "again": again, "approved": approved}
    return render(request, "hours/declaration_applicant.html", context)


def _say_if_no_rule_set(request):
    """Step 6 opened while no rule set is in force (hours/policies.default_rule_set): said at once,
    not only after the form is filled in (the save is refused with the same message)."""
    if request.method == "GET":
        try:
            default_rule_set()
        except ValidationError as exc:
            messages.error(request, exc.message)


def _preset_year(request):
    """?year=2025 (学时档案's 申报该年度): the span starts and ends with that year; a year the form
    does not offer is ignored."""
    year = parse_id(request.GET.get("year"))
    return year if year in allowed_years() else None


@role_required(Role.APPLICANT)
def declaration_new(request):
    _say_if_no_rule_set(request)
    initial = _applicant_initial(request.user)
    if year := _preset_year(request):
        initial.update(start_year=year, end_year=year)
    form = ApplicantForm(request.POST or None, initial=initial)
    return _declare(request, form, applicant=request.user)


def _open_instead(request, form, exc, proxy_for=None):
    """Step 6 saved again for a span that has an open declaration (a double click, the back
    button): open that one, or — someone else's — say why on the form."""
    if exc.opens:
        messages.info(request, exc.message)
        # The workspace sends one under review on to its detail page.
        return redirect("hours:declaration_edit", pk=exc.existing.pk)
    form.add_error(None, exc.message)
    return _step6(request, form, declaration=None, applicant=proxy_for or request.user, proxy_for=proxy_for)


@role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def declaration_applicant_edit(request, pk):
    declaration = _owned(request, pk, people=True)
    if not declaration.is_editable:
        return _locked(request, declaration)
    initial = {f: getattr(declaration, f) for f in services.DECLARED_FIELDS}
    initial.update(_identity_initial(declaration.applicant))
    initial.update(unit=str(declaration.organisation), start_year=declaration.start_year, end_year=declaration.end_year)
    # 代为申报: the administrator sees the staff member's number masked (core/masking.py).
    kept_phone = declaration.phone if declaration.applicant_id != request.user.pk else ""
    form = ApplicantForm(request.POST or None, initial=initial, kept_phone=kept_phone)
    again = []
    if request.method == "POST" and form.is_valid():
        # Only the years the span gains are asked about: those it had were confirmed when it was saved.
        again = _approved_again(form, declaration.applicant, keep=declaration.years, exclude=declaration.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.declaration_update(
                    declaration=declaration, user=request.user, data=data, start_year=data["start_year"], end_year=data["end_year"],
                    with_years=True,
                )
            except (ValidationError, PermissionDenied) as exc:
                if gone := _refused(request, form, exc, back=_list_of(declaration)):
                    return gone
            else:
                messages.success(request, "申报信息已保存。")
                return redirect("hours:declaration_edit", pk=declaration.pk)
    return _step6(request, form, declaration=declaration, applicant=declaration.applicant, again=again)


def _hx(request):
    """A request htmx sent (an action in place on the workspace, or the parts it then asks for)."""
    return request.headers.get("HX-Request") == "true"


def _go(request, url):
    """To another page: a redirect, or for htmx a whole-page change (what it would swap in is not the workspace)."""
    if _hx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _in_place(view):
    """A workspace action that htmx may send. Its redirect back to the workspace is followed by the
    browser's own request, which gets the workspace's parts and the messages (the page stays where
    it is); a redirect elsewhere (the declaration deleted or submitted meanwhile) becomes a
    whole-page change, its message kept for that page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if _hx(request) and response.status_code in (301, 302, 303):
            workspace = reverse("hours:declaration_edit", kwargs={"pk": kwargs["pk"]})
            if urlsplit(response["Location"]).path != workspace:
                return _go(request, response["Location"])
        return response

    return wrapped


# An item form that was refused, kept for the page the refusal redirects to (so a reload of that
# page never sends the form again): what was typed and why it was refused.
DRAFT_KEY = "hours.item_draft"


DRAFT_MAX_LENGTH, DRAFT_MAX_VALUES = 2000, 20


def _keep_item_draft(request, declaration, record, activity, form):
    request.session[DRAFT_KEY] = {
        "declaration": declaration.pk, "year": record.pk, "activity": activity,
        # Only the form's own fields, each value cut short: the session keeps what the page can show again.
        "data": {
            name: [value[:DRAFT_MAX_LENGTH] for value in request.POST.getlist(name)[:DRAFT_MAX_VALUES]]
            for name in form.fields if name in request.POST
        },
        "errors": {name: [str(m) for m in msgs] for name, msgs in form.errors.items()},
    }


def _item_draft(kept, declaration, record, activity, policy):
    """The refused item form `kept`, bound again with its errors if it is this year's and learning form's; else None."""
    if not kept or (kept["declaration"], kept["year"], kept["activity"]) != (declaration.pk, record.pk, activity):
        return None
    form = FactsForm(MultiValueDict(kept["data"]), policy=policy, activity=activity, year=record.year)
    form.is_valid()
    # The form's own errors come back by themselves; the services' (a paper declared already) are added.
    for name, msgs in kept["errors"].items():
        field = name if name in form.fields else None
        shown = form.errors.get(field or "__all__", [])
        for message in msgs:
            if message not in shown:
                form.add_error(field, message)
    return form


def _workspace_context(request, declaration):
    workspace = selectors.declaration_workspace(declaration)
    policy = workspace["policy"]
    year_pk = request.GET.get("year")
    activity = request.GET.get("activity") or ""
    records = {str(y["record"].pk): y["record"] for y in workspace["years"]}
    target = records.get(str(year_pk)) if year_pk else None
    # Kept for the one page the refusal redirects to: never shown again later.
    kept = request.session.pop(DRAFT_KEY, None) if DRAFT_KEY in request.session else None
    facts_form = None
    if target and activity in policy.activities:
        facts_form = _item_draft(kept, declaration, target, activity, policy) or FactsForm(
            policy=policy, activity=activity, year=target.year
        )
    cover = {k: request.GET.get(k, "") for k in ("cover_from", "cover_to")}  # typed before a refused upload
    return {
        "declaration": declaration,
        **workspace,
        "year_form": YearForm(declaration=declaration),
        "activity_form": ActivityChoiceForm(policy=policy, initial={"activity": activity}),
        "target_year": target,
        "activity": activity,
        "activity_label": policy.activities[activity].label if activity in policy.activities else "",
        "facts_form": facts_form,
        "cover": cover,
        "submit_form": SubmitForm(),
        "proxy_levels": selectors.submission_levels(declaration, request.user),
        "absence_label": policy.activities[policy.proration.activity].label if policy.proration else "",
        "allowed_hint": ALLOWED_HINT,
    }


def _editable_or_detail(request, declaration):
    return declaration.is_editable and jurisdiction.edits(declaration, request.user)


@role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def declaration_edit(request, pk):
    """The workspace. htmx asks it for its parts after each action in place (hours/_workspace.html,
    the messages in its status line) and picks out what changed: a year's block, the materials, the
    problems before submitting."""
    declaration = selectors.declaration_get_for_user(user=request.user, pk=pk)
    if not _editable_or_detail(request, declaration):
        return _go(request, reverse("hours:declaration_detail", kwargs={"pk": pk}))
    if _hx(request):
        return render(request, "hours/_workspace.html", {**_workspace_context(request, declaration), "live": True})
    return render(request, "hours/declaration_edit.html", _workspace_context(request, declaration))


@role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def declaration_detail(request, pk):
    declaration = selectors.declaration_get_for_user(user=request.user, pk=pk)
    context = {
        "declaration": declaration,
        **selectors.declaration_workspace(declaration),
        "steps": declaration.steps.select_related("actor", "organisation", "next_org"),
        "can_edit": _editable_or_detail(request, declaration),
    }
    return render(request, "hours/declaration_detail.html", context)


def _back(declaration, *, refused=False, anchor="", **params):
    """Back to the workspace after an action, at `anchor` (the item, the year, the materials); after
    a refusal to the list instead if the declaration was deleted meanwhile (the refusal's message says so)."""
    if refused and not Declaration.objects.filter(pk=declaration.pk).exists():
        return _list_of(declaration)
    url = reverse("hours:declaration_edit", kwargs={"pk": declaration.pk})
    query = urlencode({k: v for k, v in params.items() if v})
    return redirect(f"{url}{'?' + query if query else ''}{'#' + anchor if anchor else ''}")


def _attempt_back(request, declaration, action, success, **params):
    """_attempt, then _back: to the workspace, or after a refusal to the list if the declaration is gone."""
    return _back(declaration, refused=not _attempt(request, action, success), **params)


def _owned(request, pk, people=False):
    """A declaration the signed-in user edits: 404 for anyone else's."""
    declaration = selectors.declaration_get_for_user(user=request.user, pk=pk, people=people)
    if not jurisdiction.edits(declaration, request.user):
        raise Http404
    return declaration


def _locked(request, declaration):
    """A submitted declaration is not re-rendered as an editable workspace: say why, show the detail."""
    messages.error(request, f"该申报当前为“{declaration.get_state_display()}”，提交后不能修改；如需修改请先撤销。")
    return redirect("hours:declaration_detail", pk=declaration.pk)


def _form_problem(form, required="请填写完整后再提交。"):
    """A refused form's errors as one message, each after its field's label; `required` for a form sent empty."""
    problems = []
    for name, errors in form.errors.as_data().items():
        for error in errors:
            if error.code == "required":
                problems.append(required)
            else:
                label = form.fields[name].label if name in form.fields else ""
                problems.append(f"{label}：{error.messages[0]}" if label else error.messages[0])
    return wording.sentence(wording.joined(dict.fromkeys(problems)))


@_declarer_post
def year_add(request, pk):
    """Only for a year of the span that has no record (they are made with the declaration; one deleted since)."""
    declaration = _owned(request, pk)
    if not declaration.is_editable:
        return _locked(request, declaration)
    form = YearForm(request.POST, declaration=declaration)
    if not form.is_valid():
        messages.error(request, _form_problem(form, required="请选择年度。"))
        return _back(declaration, anchor="years")
    try:
        record = services.year_record_add(declaration=declaration, user=request.user, year=form.cleaned_data["year"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return _back(declaration, refused=True, anchor="years")
    messages.success(request, f"已新增{record.year}年度明细，请添加学习项目。")
    return _back(declaration, anchor=f"year-{record.pk}")


@_declarer_post
def year_delete(request, pk, year_pk):
    declaration = _owned(request, pk)
    record = get_object_or_404(declaration.year_records, pk=year_pk)
    return _attempt_back(
        request, declaration, lambda: services.year_record_delete(year_record=record, user=request.user), f"已删除{record.year}年度明细。",
        anchor="years",
    )


def _item_added(policy, activity, item):
    label, kind = policy.activities[activity].label, policy.activities[activity].formula["kind"]
    if kind == "determined":
        return f"已添加“{label}”，学时由审核单位核定，核定前计0学时。"
    if kind == "none":
        return f"已添加“{label}”，计入{item.counted_year}年度。"
    return f"已添加“{label}”：公需科目{item.public_hours}学时，专业科目{item.professional_hours}学时，计入{item.counted_year}年度。"


@_in_place
@_declarer_post
def item_add(request, pk, year_pk):
    """Saved, the year's block shows the item and the same learning form again, empty, for the
    next one; refused, the form comes back with what was typed and why (kept in the session, so
    the page it redirects to can be reloaded)."""
    declaration = _owned(request, pk)
    if not declaration.is_editable:
        return _locked(request, declaration)
    record = get_object_or_404(declaration.year_records, pk=year_pk)
    policy = policy_for(declaration.rule_set)
    activity = request.POST.get("activity", "")
    if activity not in policy.activities:
        messages.error(request, "请选择学习形式。")
        return _back(declaration, anchor=f"year-{record.pk}")
    form = FactsForm(request.POST, policy=policy, activity=activity, year=record.year)
    if form.is_valid():
        try:
            item = services.item_add(year_record=record, user=request.user, activity=activity, facts=form.facts())
        except (ValidationError, PermissionDenied) as exc:
            if gone := _refused(request, form, exc, back=_list_of(declaration), by_field=True):
                return gone
        else:
            messages.success(request, _item_added(policy, activity, item))
            return _back(declaration, anchor=f"item-{item.pk}", year=record.pk, activity=activity)
    _keep_item_draft(request, declaration, record, activity, form)
    return _back(declaration, anchor=f"item-form-{record.pk}", year=record.pk, activity=activity)


@role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def item_preview(request, pk, year_pk):
    """The hours an item would earn, computed by the same engine as the save (htmx live preview)."""
    declaration = _owned(request, pk)
    record = get_object_or_404(declaration.year_records, pk=year_pk)
    policy = policy_for(declaration.rule_set)
    activity = request.GET.get("activity", "")
    context = {"activity": activity, "target_year": record}
    if activity in policy.activities:
        form = FactsForm(request.GET, policy=policy, activity=activity, year=record.year)
        if form.is_valid():
            try:
                context["credit"] = credit = rules.credit(policy, activity, form.facts(), in_year=record.year)
            except rules.RuleError as exc:
                context["error"] = str(exc)
            else:
                if not credit.total and not rules.credits_nothing_by_rule(policy, activity):
                    context["error"] = services.NO_HOURS
        else:
            context["error"] = "请完整填写带“*”的内容。"
    return render(request, "hours/_item_preview.html", context)


@_in_place
@_declarer_post
def item_delete(request, pk, item_pk):
    declaration = _owned(request, pk)
    # The service locks item.year_record.declaration: fetched with the item, not two look-ups later.
    item = get_object_or_404(Item.objects.select_related("year_record__declaration"), pk=item_pk, year_record__declaration=declaration)
    return _attempt_back(
        request, declaration, lambda: services.item_delete(item=item, user=request.user), "已删除该学习项目。",
        anchor=f"year-{item.year_record_id}",
    )


def _store_files(request, declaration, files, **kwargs):
    """Each file through evidence_add; said once for those stored, once per refusal. An item's file
    that was there already now also serves the materials ticked this time (said so)."""
    stored, refused = 0, []
    for upload in files:
        try:
            evidence = services.evidence_add(declaration=declaration, user=request.user, upload=upload, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            refused.append(_errors(exc))
            if _gone(exc):
                break  # the declaration is gone: said once, not once per file
        else:
            if evidence.added != evidence.material_codes:
                labels = "、".join(policy_for(declaration.rule_set).materials.get(c, c) for c in evidence.added)
                messages.success(request, f"文件“{evidence.original_name}”已上传过，现同时作为“{labels}”的佐证材料。")
            else:
                stored += 1
    if stored:
        messages.success(request, f"已上传{stored}个文件。")
    for reason in refused:
        messages.error(request, reason)
    return bool(refused)


@_in_place
@_declarer_post
def evidence_upload(request, pk):
    """A declaration-level material (学历信息, 学时上传 …): back at the materials, in place with htmx."""
    declaration = _owned(request, pk)
    if not declaration.is_editable:
        return _locked(request, declaration)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        refused = _store_files(
            request, declaration, form.cleaned_data["files"], category=form.cleaned_data["category"],
            year=form.cleaned_data.get("cover_from"), year_to=form.cleaned_data.get("cover_to"),
        )
        return _back(declaration, refused=refused, anchor="materials")
    messages.error(request, _form_problem(form, required="请选取要上传的文件。") + (ALLOWED_HINT if "files" in form.errors else ""))
    # What was typed for an earlier certificate's years is offered again.
    kept = {k: request.POST.get(k, "")[:4] for k in ("cover_from", "cover_to") if request.POST.get(k, "").isdigit()}
    return _back(declaration, anchor="materials", **kept)


@_in_place
@_declarer_post
def item_evidence_upload(request, pk, item_pk):
    """Files for an item, each serving the materials ticked; back at the item, in place with htmx."""
    declaration = _owned(request, pk)
    if not declaration.is_editable:
        return _locked(request, declaration)
    item = get_object_or_404(Item, pk=item_pk, year_record__declaration=declaration)
    form = ItemEvidenceForm(request.POST, request.FILES, policy=policy_for(declaration.rule_set), item=item)
    refused = True
    if form.is_valid():
        refused = _store_files(
            request, declaration, form.cleaned_data["files"], category="item", item=item, materials=form.cleaned_data["material"],
            join=True,
        )
    else:
        # A file the form itself refuses (an empty one) says so; otherwise something was not chosen.
        problems = [e for e in form.errors.as_data().get("files", []) if e.code != "required"]
        messages.error(request, (problems[0].messages[0] if problems else "请勾选材料名称并选取文件。") + ALLOWED_HINT)
    return _back(declaration, refused=refused, anchor=f"item-{item.pk}")


@_in_place
@_declarer_post
def evidence_delete(request, pk, evidence_pk):
    """One file, an item's or a declaration-level one, while the declaration is a draft."""
    declaration = _owned(request, pk)
    evidence = get_object_or_404(declaration.evidence, pk=evidence_pk)
    return _attempt_back(
        request, declaration, lambda: services.evidence_delete(evidence=evidence, user=request.user), f"已删除“{evidence.original_name}”。",
        anchor=f"item-{evidence.item_id}" if evidence.item_id else "materials",
    )


@role_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def evidence_file(request, evidence_pk):
    """Files are served only here, after the same access rule as the declaration itself."""
    evidence = selectors.evidence_get_for_user(user=request.user, pk=evidence_pk)
    inline = request.GET.get("preview") == "1" and evidence.extension in (".jpg", ".png", ".pdf")
    return file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type, as_attachment=not inline)


@_in_place
@_declarer_post
def training_claim(request, pk, year_pk):
    declaration = _owned(request, pk)
    record = get_object_or_404(declaration.year_records, pk=year_pk)
    anchor = f"year-{record.pk}"
    ids, bad = parse_ids(request.POST.getlist("records"))
    if bad:
        messages.error(request, "所选培训记录无效，请刷新页面后重新勾选。")
        return _back(declaration, anchor=anchor)
    if not ids:
        messages.error(request, "请勾选要确认的培训记录。")
        return _back(declaration, anchor=anchor)
    try:
        items = services.training_records_claim(year_record=record, user=request.user, record_ids=ids)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return _back(declaration, refused=True, anchor=anchor)
    messages.success(request, f"已确认选择{len(items)}条培训记录。")
    return _back(declaration, anchor=anchor)


@_declarer_post
def declaration_submit(request, pk):
    declaration = _owned(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请勾选“本人承诺以上信息真实有效”后再提交。")
        return redirect(redirect_target(request, request.POST.get("back"), reverse("hours:declaration_edit", kwargs={"pk": pk})))
    next_org = None
    if declaration.declared_by_id or jurisdiction.administers_unit(request.user, declaration.organisation_id):
        next_org = Organisation.objects.filter(pk=parse_id(request.POST.get("next_org"))).first()
    try:
        transitions.declaration_submit(
            declaration=declaration, user=request.user, pledge=True, next_org=next_org, ip=client_ip(request),
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
        if _gone(exc) or not declaration.is_editable:
            return _list_of(declaration)
        return redirect("hours:declaration_edit", pk=pk)
    messages.success(request, f"申报 {declaration.business_no} 已提交，等待审核。提交后不能修改，如需修改可撤销。")
    return _list_of(declaration)


@_declarer_post
def declaration_withdraw(request, pk):
    declaration = _owned(request, pk)
    _attempt(
        request,
        lambda: transitions.declaration_withdraw(declaration=declaration, user=request.user, ip=client_ip(request)),
        f"申报 {declaration.business_no} 已撤销，可修改后重新提交。",
    )
    return _list_of(declaration)


@_declarer_post
def declaration_delete(request, pk):
    declaration = _owned(request, pk)
    _attempt(
        request, lambda: services.declaration_delete(declaration=declaration, user=request.user), f"申报 {declaration.business_no} 已删除。"
    )
    return _list_of(declaration)



def _import_scope(user):
    """Clerks import for the platform or any training base; a training base's own administrator
    only the rosters of that base's courses."""
    if has_role(user, Role.BUREAU_CLERK):
        return Organisation.objects.filter(kind=OrganisationKind.TRAINING_BASE).order_by("name"), False
    own = [org.pk for org in jurisdiction.administered_units(user, kind=OrganisationKind.TRAINING_BASE)]
    if not own:
        raise PermissionDenied("只有人社部门经办人或继续教育基地管理员可以导入培训记录。")
    return Organisation.objects.filter(pk__in=own), True


@role_required(Role.BUREAU_CLERK, Role.UNIT_ADMIN)
def training_import(request):
    bases, base_only = _import_scope(request.user)
    form = TrainingImportForm(request.POST or None, request.FILES or None, bases=bases, base_only=base_only)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = imports.training_records_import(
                upload=form.cleaned_data["file"], source=form.cleaned_data["source"],
                source_org=form.cleaned_data["source_org"], user=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
    return render(request, "hours/training_import.html", {"form": form, "report": report}, status=400 if form.errors else 200)


@role_required(Role.BUREAU_CLERK, Role.UNIT_ADMIN)
def training_import_template(request):
    _import_scope(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("培训记录导入模板.csv")
    response.write("\ufeff" + ",".join(imports.COLUMNS) + "\r\n")
    # An example row nobody holds: a check-digit-valid number of the province's code, born 1990-01-01.
    response.write("430000199001010018,示例姓名,2023,2023年度公需科目培训,公需科目,30,PX2023001\r\n")
    return response


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def proxy_list(request):
    """单位代为申报 (Henan guide): pick a staff member to declare for; 单位申报记录 below."""
    status = request.GET.get("status", "all")
    if status not in selectors.STATUS_FILTERS:
        status = "all"
    search = StaffSearchForm(request.GET if "q" in request.GET else None)
    query = filters_of(search, {"q": ""})
    staff = Paginator(User.objects.none() if query is None else selectors.proxy_staff(user=request.user, query=query["q"]), PAGE_SIZE)
    records = Paginator(selectors.proxy_declarations(user=request.user, status=status), PAGE_SIZE)
    return render(
        request,
        "hours/proxy_list.html",
        {
            "staff": staff.get_page(request.GET.get("staff_page")),
            "page": records.get_page(request.GET.get("page")),
            "status": status,
            "filters": [(k, v[0]) for k, v in selectors.STATUS_FILTERS.items()],
            "search": search,
        },
    )


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN)
def proxy_new(request, person_pk):
    person = get_object_or_404(selectors.proxy_staff(user=request.user), pk=person_pk)
    _say_if_no_rule_set(request)
    form = ApplicantForm(request.POST or None, initial=_applicant_initial(person), kept_phone=person.phone)
    return _declare(request, form, applicant=person, proxy_for=person)
