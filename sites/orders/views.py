"""Order pages: the inbox, issuing, an order with its actions and reply form (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from geo.roles import is_staff_reader
from sites.models import LivelihoodWork, Project
from sites.orders import selectors, services
from sites.orders.forms import IssueForm, NoteForm, ReplyForm
from sites.orders.models import OrderAttachment, SupervisionOrder


def _staff(request: HttpRequest) -> None:
    if not is_staff_reader(request.user):
        raise PermissionDenied(_("Supervision orders are for staff."))


def _attach_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """Orders to sign, to act on, to review, and escalations, for this user."""
    _staff(request)
    services.escalate_lazily()
    today = timezone.localdate()
    cal = selectors.holiday_sets()
    sections = selectors.inbox(request.user)
    titles = {
        "to_sign": _("To sign for"),
        "to_act": _("To act on and reply"),
        "to_review": _("Replies to review (submitted for closure)"),
        "escalated": _("Escalated to the responsible leader"),
    }
    rows = [
        {"key": key, "title": titles[key],
         "orders": [(o, selectors.order_colour(o, today, cal)) for o in orders]}
        for key, orders in sections.items()
    ]
    return render(request, "sites/orders/inbox.html", {"sections": rows, "today": today})


def _subject(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    project_id, work_id = source.get("project", ""), source.get("work", "")
    if project_id.isdigit():
        return get_object_or_404(Project.objects.select_related("lead_department"),
                                 pk=int(project_id)), None
    if work_id.isdigit():
        return None, get_object_or_404(LivelihoodWork.objects.select_related("lead_department"),
                                       pk=int(work_id))
    raise Http404(_("Name a project or a livelihood work."))


@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest) -> HttpResponse:
    """Issue an order on ``?project=`` (optionally ``&blocker=``) or ``?work=``."""
    _staff(request)
    if not services.can_issue(request.user):
        raise PermissionDenied(services.NO_ISSUE_ROLE)
    project, work = _subject(request)
    blockers = list(project.blockers.filter(resolved=False)) if project else []
    initial = {}
    chosen = request.GET.get("blocker", "")
    if chosen.isdigit():
        initial["blocker"] = int(chosen)
        match = next((b for b in blockers if b.pk == int(chosen)), None)
        if match is not None:
            initial["subject"] = _("Resolve: %(blocker)s") % {"blocker": match.description[:150]}
    form = IssueForm(request.POST or None, blockers=blockers, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            blocker = next((b for b in blockers if b.pk == data["blocker"]), None)
            try:
                order = services.order_issue(
                    user=request.user, project=project, work=work, blocker=blocker,
                    subject=data["subject"], requirement=data["requirement"],
                    severity=data["severity"], deadline=data["deadline"],
                )
            except ValidationError as exc:
                _attach_errors(form, exc)
            else:
                messages.success(request, _("Supervision order %(number)s issued to "
                                            "%(department)s.")
                                 % {"number": order.number, "department": order.department})
                return redirect("order-detail", pk=order.pk)
    target = project or work
    return render(request, "sites/orders/issue.html", {
        "form": form, "target": target, "project": project, "work": work,
        "department": target.lead_department,
    }, status=status)


def _detail_context(request, order, **forms) -> dict:
    today = timezone.localdate()
    cal = selectors.holiday_sets()
    return {
        "order": order,
        "colour": selectors.order_colour(order, today, cal),
        "overdue_days": (today - order.deadline).days
        if order.is_open and today > order.deadline else 0,
        "actions": services.allowed_actions(request.user, order),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
    }


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    try:
        order = selectors.order_detail(pk)
    except SupervisionOrder.DoesNotExist:
        raise Http404(_("No such order.")) from None
    return render(request, "sites/orders/detail.html", _detail_context(request, order))


STEPS = {
    "sign": (services.order_sign, None, _("Signed for.")),
    "reply": (services.order_reply, ReplyForm, _("Reply saved.")),
    "submit": (services.order_submit, ReplyForm, _("Submitted for closure.")),
    "send-back": (services.order_send_back, NoteForm, _("Sent back to the department.")),
    "close": (services.order_close, NoteForm, _("Order closed (销号).")),
}


@require_POST
def act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step on the order; a refusal re-renders the page with its reason (400/403)."""
    _staff(request)
    if step not in STEPS:
        raise Http404()
    order = get_object_or_404(SupervisionOrder, pk=pk)
    service, form_class, done = STEPS[step]
    kwargs, form = {}, None
    if form_class is not None:
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return _refused(request, order, form, step)
        kwargs["text"] = form.cleaned_data["text"]
        if "files" in form.cleaned_data:
            kwargs["files"] = form.cleaned_data["files"]
    try:
        service(order=order, user=request.user, **kwargs)
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return redirect("order-detail", pk=pk)
        _attach_errors(form, exc)
        return _refused(request, order, form, step)
    messages.success(request, str(done))
    return redirect("order-detail", pk=pk)


def _refused(request, order, form, step) -> HttpResponse:
    messages.error(request, _("Nothing was saved: correct the marked fields."))
    order = selectors.order_detail(order.pk)
    key = "reply_form" if isinstance(form, ReplyForm) else "note_form"
    context = _detail_context(request, order, **{key: form})
    context["failed_step"] = step
    return render(request, "sites/orders/detail.html", context, status=400)


@require_safe
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, to staff only, with the type checked on upload."""
    _staff(request)
    att = get_object_or_404(OrderAttachment, pk=pk)
    response = FileResponse(att.file.open("rb"), content_type=att.content_type,
                            as_attachment=not att.is_image,
                            filename=att.original_name or att.file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response

