"""Staff pages: the changeset list and one changeset's review page (thin: services, selectors).

The review page's buttons are plain forms posted back to it; each calls one service and turns
its refusal into the page's message with the status the API would answer.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo import errors as refusals
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role
from markets import schedule
from markets.changesets import selectors, services
from markets.changesets.models import Changeset, ChangesetState


def _zone_editors_only(request: HttpRequest) -> None:
    if not has_role(request.user, URBAN_MANAGEMENT, MARKET_SUPERVISION):
        raise PermissionDenied(
            _("Only urban-management and market-supervision staff see changesets.")
        )


@login_required
def changeset_list_page(request: HttpRequest) -> HttpResponse:
    """/staff/changesets/: every changeset, newest first, filtered by state."""
    _zone_editors_only(request)
    state = request.GET.get("state", "")
    if state not in ("", *ChangesetState.values):
        state = ""
    return render(
        request,
        "markets/changesets/list.html",
        {
            "changesets": selectors.changeset_list(state=state),
            "state": state,
            "states": ChangesetState.choices,
        },
    )


def _schedule_value(raw: str):
    """A datetime-local field's value (naive: Asia/Shanghai) as an aware datetime."""
    moment = parse_datetime(raw or "")
    if moment is None:
        raise ValidationError(
            {"publish_at": ValidationError(_("Give the publish date and time."), code="invalid")}
        )
    return schedule.local(moment)


def _act(request: HttpRequest, changeset: Changeset, action: str) -> None:
    user = request.user
    if action == "submit":
        services.changeset_submit(
            changeset=changeset, user=user, comment=request.POST.get("comment", changeset.comment)
        )
    elif action == "approve":
        services.changeset_approve(changeset=changeset, user=user)
    elif action == "send_back":
        services.changeset_send_back(
            changeset=changeset, user=user, reason=request.POST.get("reason", "")
        )
    elif action == "publish":
        services.changeset_publish(changeset=changeset, user=user)
    elif action == "schedule":
        services.changeset_schedule(
            changeset=changeset,
            user=user,
            publish_at=_schedule_value(request.POST.get("publish_at")),
        )
    elif action == "comment":
        services.changeset_update_comment(
            changeset=changeset, user=user, comment=request.POST.get("comment", "")
        )
    else:
        raise ValidationError(_("Unknown action."), code="invalid")


DONE = {
    "submit": gettext_lazy("Submitted for review."),
    "approve": gettext_lazy("Approved. Publish it now or schedule it."),
    "send_back": gettext_lazy("Sent back to its author."),
    "publish": gettext_lazy("Published: the public sees these changes now."),
    "schedule": gettext_lazy("Scheduled."),
    "comment": gettext_lazy("Comment saved."),
}


@login_required
def changeset_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """/staff/changesets/<id>/: before/after map, area change, overlaps, attributes, hours."""
    _zone_editors_only(request)
    changeset = get_object_or_404(Changeset.objects.select_related("author", "reviewer"), pk=pk)
    error = None
    code = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            _act(request, changeset, action)
        except ValidationError as exc:
            error, code = " ".join(exc.messages), refusals.http_status(exc)
        except PermissionDenied as exc:
            error, code = str(exc), 403
        else:
            return redirect(f"{request.path}?done={action}")
        changeset.refresh_from_db()
    user = request.user
    is_author = changeset.author_id == user.pk
    reviews = selectors.changeset_review(changeset)
    conflicts = (
        services.conflicts_of(changeset)
        if changeset.state in (ChangesetState.DRAFT, ChangesetState.SENT_BACK)
        else []
    )
    may_review = services.may_review(user, changeset) and not is_author
    context = {
        "changeset": changeset,
        "reviews": reviews,
        "conflicts": conflicts,
        "error": error,
        "done": str(DONE.get(request.GET.get("done", ""), "")),
        "is_author": is_author,
        "can_submit": is_author
        and changeset.state in (ChangesetState.DRAFT, ChangesetState.SENT_BACK),
        "can_review": may_review and changeset.state == ChangesetState.SUBMITTED,
        "can_send_back": may_review
        and changeset.state in (ChangesetState.SUBMITTED, ChangesetState.APPROVED),
        "can_publish": changeset.state == ChangesetState.APPROVED
        and (services.may_review(user, changeset) or is_author),
        "hours_start": selectors.review_start(changeset),
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "changeset_config": {
            "previewUrl": reverse("api-changeset-preview", args=[changeset.pk]),
            "edits": [
                {
                    "id": r["edit"].pk,
                    "zone": r["edit"].zone_id,
                    "name": r["name"],
                    "old": r["old_geometry"],
                    "new": r["new_geometry"],
                }
                for r in reviews
            ],
            "strings": {"before": _("Before (dashed)"), "after": _("After (filled)")},
        },
    }
    return render(request, "markets/changesets/review.html", context, status=code)
