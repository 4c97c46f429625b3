"""专业技术人员继续教育培训备案 (unit administrators) and its review (主管部门 and 人社部门)."""
import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.models import OrganisationKind, Role
from core.forms import filters_of
from core.models import Job
from core.proxy import client_ip
from core.storage import file_response
from hours import transitions
from workflow import jurisdiction
from workflow.runner import WorkflowError

from . import filings, selectors
from .models import TrainingFiling
from .forms import FilingDecisionForm, FilingForm, FilingQueueFilterForm, RosterForm
from .services import AlreadyOpen
from .views import PAGE_SIZE, _attempt, _errors, _refused, _status_page


@role_required(Role.UNIT_ADMIN)
def filing_list(request):
    listing = _status_page(request, lambda status: selectors.unit_filings(user=request.user, status=status))
    return render(request, "hours/filing_list.html", listing)


def _own_filing(request, pk):
    """A filing of one of the user's own units, for changing it: 404 for anyone else, reviewers
    who may read it included (as for another unit's filing)."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if not jurisdiction.administers_unit(request.user, filing.organisation_id):
        raise Http404("备案不存在")
    return filing


def _unit_of(user):
    units = [org for org in jurisdiction.administered_units(user) if org.kind != OrganisationKind.BUREAU]
    if not units:
        raise PermissionDenied
    return units[0]


@role_required(Role.UNIT_ADMIN)
def filing_new(request):
    unit = _unit_of(request.user)
    form = FilingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filing = filings.filing_create(
                user=request.user, organisation=unit, data=data, notice=data["notice"], schedule=data["schedule"]
            )
        except AlreadyOpen as exc:  # saved twice: the first one is opened
            messages.info(request, exc.message)
            return redirect("hours:filing_detail", pk=exc.existing.pk)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"已暂存培训备案“{filing.name}”，核对无误后请提交。")
            return redirect("hours:filing_detail", pk=filing.pk)
    return render(request, "hours/filing_form.html", {"form": form, "unit": unit, "filing": None}, status=400 if form.errors else 200)


@role_required(Role.UNIT_ADMIN)
def filing_edit(request, pk):
    filing = _own_filing(request, pk)
    initial = {f: getattr(filing, f) for f in filings.FIELDS}
    form = FilingForm(request.POST or None, request.FILES or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filings.filing_update(filing=filing, user=request.user, data=data, notice=data.get("notice"), schedule=data.get("schedule"))
        except (ValidationError, PermissionDenied) as exc:
            # Deleted in another tab since this page read it: back to the list.
            if gone := _refused(request, form, exc, back=redirect("hours:filing_list")):
                return gone
        else:
            messages.success(request, "培训备案已保存。")
            return redirect("hours:filing_detail", pk=filing.pk)
    return render(
        request, "hours/filing_form.html", {"form": form, "unit": filing.organisation, "filing": filing},
        status=400 if form.errors else 200,
    )


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def filing_detail(request, pk):
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    decides = jurisdiction.reviewer(filing, request.user) is not None
    form = FilingDecisionForm(request.POST or None) if decides else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("该备案不在您的审核环节。")
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    transitions.filing_approve(filing=filing, user=request.user, opinion=form.cleaned_data["opinion"], ip=client_ip(request))
                    messages.success(request, f"“{filing.name}”已同意备案。")
                else:
                    transitions.filing_reject(filing=filing, user=request.user, reason=form.cleaned_data["opinion"], ip=client_ip(request))
                    messages.success(request, f"“{filing.name}”审核不通过，已退回举办单位。")
            except WorkflowError as exc:
                messages.error(request, exc.message)
            return redirect("hours:filing_queue")
    return _render_detail(request, filing, form=form, status=400 if (form is not None and form.errors) else 200)


def _render_detail(request, filing, *, form=None, roster_form=None, report=None, status=200):
    return render(
        request,
        "hours/filing_detail.html",
        {
            "filing": filing,
            "form": form,
            "is_owner": jurisdiction.administers_unit(request.user, filing.organisation_id),
            "roster_form": roster_form or RosterForm(),
            "report": report,
            "records": Paginator(filing.records.order_by("id"), 20).get_page(request.GET.get("page")),
            "steps": filing.steps.select_related("actor", "organisation", "next_org"),
        },
        status=status,
    )


def _act(request, pk, action, success):
    filing = _own_filing(request, pk)
    _attempt(request, lambda: action(filing), success.format(name=filing.name))
    return filing


@require_POST
@role_required(Role.UNIT_ADMIN)
def filing_submit(request, pk):
    _act(request, pk, lambda f: transitions.filing_submit(filing=f, user=request.user, ip=client_ip(request)), "“{name}”已提交备案。")
    return redirect("hours:filing_list")


@require_POST
@role_required(Role.UNIT_ADMIN)
def filing_withdraw(request, pk):
    _act(request, pk, lambda f: transitions.filing_withdraw(filing=f, user=request.user, ip=client_ip(request)), "“{name}”已撤销，可修改后重新提交。")
    return redirect("hours:filing_list")


@require_POST
@role_required(Role.UNIT_ADMIN)
def filing_delete(request, pk):
    _act(request, pk, lambda f: filings.filing_delete(filing=f, user=request.user), "“{name}”已删除。")
    return redirect("hours:filing_list")


@require_POST
@role_required(Role.UNIT_ADMIN)
def filing_roster(request, pk):
    filing = _own_filing(request, pk)
    form = RosterForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        try:
            report = filings.filing_roster_upload(filing=filing, user=request.user, upload=form.cleaned_data["file"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("file", _errors(exc))
        if isinstance(report, Job):
            return redirect("portal:job", pk=report.pk)  # a long roster: imported in the background
    return _render_detail(request, filing, roster_form=form, report=report, status=400 if form.errors else 200)


@role_required(Role.UNIT_ADMIN, Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def filing_file(request, pk, which):
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    field = {"notice": filing.notice, "schedule": filing.schedule}[which]
    filename = f"{filing.name}-{'培训通知' if which == 'notice' else '培训课程表'}{field.name[field.name.rfind('.'):]}"
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return file_response(field, filename=filename, content_type=content_type, as_attachment=request.GET.get("preview") != "1")


@role_required(Role.DEPT_ADMIN, Role.BUREAU_CLERK)
def filing_queue(request):
    form = FilingQueueFilterForm(request.GET or None)
    filters = filters_of(form, {})
    rows = TrainingFiling.objects.none() if filters is None else selectors.filing_queue(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "hours/filing_queue.html", {"form": form, "page": page}, status=200 if filters is not None else 400)
