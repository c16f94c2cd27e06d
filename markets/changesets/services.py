"""Every step of a changeset: draft, add an edit, submit, approve, send back, publish, schedule.

Each step runs in one transaction, locks the changeset row and leaves a history row (who, why;
geo.audit adds the client address). Publish applies every edit through the zone services
(markets.services), so boundary validation, the overlap rule, version bumps and the zones'
history stay in one place; one stale base version or one refused edit undoes them all.

Refusals are typed (geo.errors), and the API and the review page map each type to its status
once: a step the changeset's state does not allow, a conflicting draft, a stale base version or
a refused edit is a ``ChangesetStateError`` (409); reviewing one's own changeset is
``NotPermitted`` (403); any other ValidationError is a 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo import errors as refusals
from geo.models import Department, District
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role
from markets import services as zone_services
from markets.changesets.models import (
    OPEN_STATES,
    Changeset,
    ChangesetState,
    EditKind,
    ZoneEdit,
)
from markets.models import MarketZone, ZoneStatus

COMMENT_MAX_LENGTH = 500
# Proposed values an edit may carry: the zone form's fields and the rule fields.
RULE_FIELDS = ("opening_hours", "permitted_goods", "prohibited_goods", "duties")
EDIT_FIELDS = (*zone_services.EDITABLE_FIELDS, *RULE_FIELDS)
REFERENCE_FIELDS = {"department": Department, "district": District}

NOT_A_ZONE_EDITOR = gettext_lazy(
    "Only urban-management and market-supervision staff may draft zone changes."
)
NOT_AUTHOR = gettext_lazy("Only the author of changeset #%(id)d may change or submit it.")
OWN_CHANGESET = gettext_lazy(
    "You wrote changeset #%(id)d, so you cannot approve it: another urban-management user or "
    "an administrator reviews it."
)
NOT_A_REVIEWER = gettext_lazy(
    "Only urban-management staff or an administrator may review changesets."
)
WRONG_STATE = gettext_lazy("Changeset #%(id)d is %(state)s; it cannot be %(action)s.")
SENT_BACK_PUBLISH = gettext_lazy(
    "Changeset #%(id)d was sent back (%(reason)s); it cannot be published. The author changes "
    "it and submits it again."
)
EMPTY_CHANGESET = gettext_lazy("Changeset #%(id)d has no edits yet: nothing to submit.")
COMMENT_REQUIRED = gettext_lazy("Say what this changeset does (the reviewer and history read it).")
COMMENT_TOO_LONG = gettext_lazy("Keep the comment to %(max)d characters or fewer.")
SEND_BACK_REASON = gettext_lazy("Say why you send it back, so the author can fix it.")
CONFLICT = gettext_lazy(
    "Zone “%(zone)s” is also changed in changeset #%(other)d (“%(comment)s”, %(state)s, by "
    "%(author)s). Publish or withdraw that one first, or put both edits in one changeset."
)
STALE_BASE = gettext_lazy(
    "Zone “%(zone)s” (id %(id)d) was changed after this changeset was drawn (now version "
    "%(current)d, the changeset edits version %(base)d). Nothing was published: send it back "
    "to its author to redraw the edit."
)
EDIT_REFUSED = gettext_lazy("Zone “%(zone)s”: %(message)s Nothing was published.")
PAST_SCHEDULE = gettext_lazy(
    "The publish time %(when)s has already passed; choose a later time or publish now."
)
NAIVE_SCHEDULE = gettext_lazy("Give the publish time with its date, time and time zone.")
NOT_DUE = gettext_lazy(
    "Changeset #%(id)d is scheduled for %(when)s; it is published then, not before."
)
NOTHING_TO_CHANGE = gettext_lazy("Nothing to change: the proposed values equal the zone's.")
ZONE_RETIRED = gettext_lazy("Zone “%(zone)s” is retired; restore it before changing it.")
ZONE_NOT_RETIRED = gettext_lazy("Zone “%(zone)s” is not retired: there is nothing to reinstate.")
NOT_YOUR_FIELD = gettext_lazy("Your role may not change %(field)s.")
UNKNOWN_FIELD = gettext_lazy("This field cannot be changed in a changeset.")
EDIT_NOT_HERE = gettext_lazy("Edit %(edit)s is not part of changeset #%(id)d.")


class ChangesetStateError(refusals.StateConflict):
    """The changeset's state, a conflicting draft or a zone's newer version forbids the step."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _state_label(changeset: Changeset) -> str:
    return str(ChangesetState(changeset.state).label).lower()


def _wrong_state(changeset: Changeset, action: str) -> ValidationError:
    return ChangesetStateError(
        WRONG_STATE % {"id": changeset.pk, "state": _state_label(changeset), "action": action},
        code="wrong_state",
    )


def _save(changeset: Changeset, *, user: AbstractBaseUser, reason: str) -> Changeset:
    changeset.full_clean()
    changeset._history_user = user
    changeset._change_reason = reason[: zone_services.REASON_MAX_LENGTH]
    changeset.save()
    return changeset


def _locked(changeset: Changeset) -> Changeset:
    return (
        Changeset.objects.select_for_update(of=("self",))
        .select_related("author", "reviewer")
        .get(pk=changeset.pk)
    )


def _clean_comment(comment: str, *, required: bool) -> str:
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if required and not comment:
        raise ValidationError({"comment": ValidationError(COMMENT_REQUIRED, code="required")})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "comment": ValidationError(
                    COMMENT_TOO_LONG % {"max": COMMENT_MAX_LENGTH}, code="max_length"
                )
            }
        )
    return comment


def may_draft(user: AbstractBaseUser | None) -> bool:
    return user is not None and has_role(user, URBAN_MANAGEMENT, MARKET_SUPERVISION)


def may_review(user: AbstractBaseUser | None, changeset: Changeset | None = None) -> bool:
    """Urban management or an admin; market supervision too for a goods/duties-only changeset."""
    if user is None:
        return False
    if has_role(user, URBAN_MANAGEMENT):
        return True
    if changeset is None or not has_role(user, MARKET_SUPERVISION):
        return False
    goods = set(zone_services.GOODS_FIELDS)
    return (
        all(
            edit.kind == EditKind.RULES and set(edit.fields) <= goods and edit.boundary is None
            for edit in changeset.edits.all()
        )
        and changeset.edits.exists()
    )


def changeset_create(*, user: AbstractBaseUser, comment: str = "") -> Changeset:
    """Open a draft changeset for ``user`` (urban management or market supervision)."""
    if not may_draft(user):
        raise PermissionDenied(NOT_A_ZONE_EDITOR)
    comment = _clean_comment(comment, required=False)
    with transaction.atomic():
        return _save(Changeset(author=user, comment=comment), user=user, reason="draft")


def changeset_update_comment(
    *, changeset: Changeset, user: AbstractBaseUser, comment: str
) -> Changeset:
    comment = _clean_comment(comment, required=False)
    with transaction.atomic():
        locked = _locked(changeset)
        _check_author_may_edit(locked, user)
        locked.comment = comment
        return _save(locked, user=user, reason="comment")


def _check_author_may_edit(changeset: Changeset, user: AbstractBaseUser) -> None:
    if changeset.author_id != user.pk:
        raise PermissionDenied(NOT_AUTHOR % {"id": changeset.pk})
    if changeset.state not in (ChangesetState.DRAFT, ChangesetState.SENT_BACK):
        raise _wrong_state(changeset, _("changed"))


def _allowed_fields(user: AbstractBaseUser) -> set[str]:
    allowed: set[str] = set()
    if has_role(user, URBAN_MANAGEMENT):
        allowed |= {*zone_services.EDITABLE_FIELDS, *zone_services.HOURS_FIELDS, "boundary"}
    if has_role(user, MARKET_SUPERVISION):
        allowed |= set(zone_services.GOODS_FIELDS)
    return allowed


def _clean_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """Proposed values as JSON (references as ids), each checked as the zone services check it."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, object] = {}
    for name, value in fields.items():
        if name not in EDIT_FIELDS:
            errors.setdefault(name, []).append(ValidationError(UNKNOWN_FIELD, code="read_only"))
            continue
        if name in REFERENCE_FIELDS:
            if isinstance(value, REFERENCE_FIELDS[name]):
                value = value.pk
            elif (
                value is not None
                and not REFERENCE_FIELDS[name]
                .objects.filter(pk=value if isinstance(value, int) else None)
                .exists()
            ):
                errors.setdefault(name, []).append(
                    ValidationError(
                        _("Unknown %(field)s “%(value)s”.") % {"field": name, "value": value},
                        code="unknown",
                    )
                )
                continue
            cleaned[name] = value
            continue
        if name == "status" and value == ZoneStatus.RETIRED:
            errors.setdefault(name, []).append(
                ValidationError(zone_services.USE_RETIRE, code="invalid")
            )
            continue
        try:
            cleaned[name] = zone_services._clean_rule_value(name, value)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(key, []).extend(errs)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _zone_value(zone: MarketZone, name: str) -> object:
    return getattr(zone, f"{name}_id") if name in REFERENCE_FIELDS else getattr(zone, name)


def changeset_add_edit(
    *,
    changeset: Changeset,
    user: AbstractBaseUser,
    kind: str,
    zone: MarketZone | None = None,
    base_version: int | None = None,
    boundary: GEOSGeometry | None = None,
    fields: Mapping[str, object] | None = None,
    edit: ZoneEdit | None = None,
) -> ZoneEdit:
    """Add (or extend) one zone's proposed change in a draft; the zone itself is not touched.

    A second edit of the same zone in the changeset merges into the first (newer values win,
    the base version stays the first one's). ``edit`` extends a new-zone edit. A ``base_version``
    the zone has already left is a VersionConflict (412), as the editor's If-Match was.
    """
    if kind not in EditKind.values:
        raise ValidationError(
            {
                "kind": ValidationError(
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(EditKind.values)},
                    code="invalid_choice",
                )
            }
        )
    cleaned = _clean_fields(fields or {})
    if boundary is not None:
        boundary = zone_services._checked_boundary(boundary)
    allowed = _allowed_fields(user)
    asked = set(cleaned) | ({"boundary"} if boundary is not None else set())
    if kind in (EditKind.CREATE, EditKind.RETIRE, EditKind.REINSTATE):
        asked.add("boundary")  # creating, retiring or reinstating a zone is urban management's
    if kind == EditKind.REINSTATE and (cleaned or boundary is not None):
        raise ValidationError(_("A reinstatement brings the zone back as it was; change it in "
                                "another changeset once it is published."), code="invalid")
    forbidden = sorted(asked - allowed)
    if forbidden:
        raise PermissionDenied(NOT_YOUR_FIELD % {"field": ", ".join(forbidden)})
    if kind == EditKind.CREATE and zone is not None:
        raise ValidationError(
            {"zone": ValidationError(_("A new zone has no zone id yet."), code="invalid")}
        )
    if kind != EditKind.CREATE and zone is None:
        raise ValidationError(
            {"zone": ValidationError(_("Say which zone this edit changes."), code="required")}
        )
    with transaction.atomic():
        locked = _locked(changeset)
        _check_author_may_edit(locked, user)
        if kind == EditKind.CREATE:
            return _save_create_edit(locked, edit, boundary, cleaned)
        current = zone_services._lock(zone, base_version)
        if kind == EditKind.REINSTATE:
            return _save_reinstate_edit(locked, current, user)
        if current.status == ZoneStatus.RETIRED:
            raise ChangesetStateError(ZONE_RETIRED % {"zone": current.name}, code="retired")
        existing = locked.edits.filter(zone=current).first()
        target = existing or ZoneEdit(
            changeset=locked, zone=current, kind=kind, base_version=current.version
        )
        if kind == EditKind.RETIRE:
            target.kind = EditKind.RETIRE
        elif target.kind != EditKind.RETIRE and (
            target.kind == EditKind.UPDATE or kind == EditKind.UPDATE or boundary is not None
        ):
            target.kind = EditKind.UPDATE
        merged = {**target.fields, **cleaned}
        if boundary is not None:
            target.boundary = boundary
        # Only what differs from the zone is proposed (the review table lists real changes).
        target.fields = {n: v for n, v in merged.items() if _zone_value(current, n) != v}
        if target.boundary is not None and target.boundary.equals_exact(current.boundary, 0):
            target.boundary = None
        if target.kind != EditKind.RETIRE and not target.fields and target.boundary is None:
            if target.pk:
                target.delete()
            raise ValidationError(NOTHING_TO_CHANGE, code="unchanged")
        _probe(current, target.fields, target.boundary)
        target.full_clean(exclude=["changeset", "zone"])
        target.save()
        _save(locked, user=user, reason=f"edit {current.pk}")
        return target


def _save_reinstate_edit(
    changeset: Changeset, zone: MarketZone, user: AbstractBaseUser
) -> ZoneEdit:
    """Propose bringing a retired zone back (with the status it had before): one edit."""
    if zone.status != ZoneStatus.RETIRED:
        raise ChangesetStateError(ZONE_NOT_RETIRED % {"zone": zone.name}, code="not_retired")
    target, _created = ZoneEdit.objects.get_or_create(
        changeset=changeset, zone=zone,
        defaults={"kind": EditKind.REINSTATE, "base_version": zone.version},
    )
    _save(changeset, user=user, reason=f"edit {zone.pk}")
    return target


def _save_create_edit(
    changeset: Changeset, edit: ZoneEdit | None, boundary: GEOSGeometry | None, cleaned: dict
) -> ZoneEdit:
    if edit is not None and (edit.changeset_id != changeset.pk or edit.kind != EditKind.CREATE):
        raise ValidationError(
            {
                "edit": ValidationError(
                    EDIT_NOT_HERE % {"edit": edit.pk, "id": changeset.pk}, code="invalid"
                )
            }
        )
    target = edit or ZoneEdit(changeset=changeset, kind=EditKind.CREATE)
    target.fields = {**target.fields, **cleaned}
    if boundary is not None:
        target.boundary = boundary
    errors = {}
    if target.boundary is None:
        errors["boundary"] = [
            ValidationError(_("The boundary (geometry) is required."), code="required")
        ]
    for name in ("name", "kind", "department"):
        if not target.fields.get(name):
            errors[name] = [ValidationError(_("This field is required."), code="required")]
    if errors:
        raise ValidationError(errors)
    _probe(MarketZone(), target.fields, target.boundary)
    target.save()
    _save(changeset, user=changeset.author, reason="edit new zone")
    return target


def _probe(zone: MarketZone, fields: Mapping[str, object], boundary: GEOSGeometry | None) -> None:
    """Check the proposed values as the zone model would (lengths, choices, numbers)."""
    concrete = MarketZone._meta.concrete_fields
    probe = MarketZone(**{f.attname: getattr(zone, f.attname) for f in concrete})
    for name, value in _model_fields(fields).items():
        setattr(probe, name, value)
    if boundary is not None:
        probe.boundary = boundary
    probe.full_clean(
        exclude=["id", "version", "updated_by"], validate_unique=False, validate_constraints=False
    )


def changeset_remove_edit(*, edit: ZoneEdit, user: AbstractBaseUser) -> None:
    with transaction.atomic():
        locked = _locked(edit.changeset)
        _check_author_may_edit(locked, user)
        edit.delete()
        _save(locked, user=user, reason="remove edit")


def conflicts_of(changeset: Changeset) -> list[tuple[ZoneEdit, Changeset]]:
    """Edits of this changeset whose zone another open changeset also changes."""
    found = []
    edits = changeset.edits.filter(zone__isnull=False).select_related("zone")
    for edit in edits:
        other = (
            ZoneEdit.objects.filter(zone_id=edit.zone_id, changeset__state__in=OPEN_STATES)
            .exclude(changeset=changeset)
            .select_related("changeset__author")
            .order_by("changeset_id")
            .first()
        )
        if other is not None:
            found.append((edit, other.changeset))
    return found


def changeset_submit(
    *, changeset: Changeset, user: AbstractBaseUser, comment: str | None = None
) -> Changeset:
    """Send a draft (or a sent-back changeset) for review; another open one on a zone refuses."""
    with transaction.atomic():
        locked = _locked(changeset)
        _check_author_may_edit(locked, user)
        if comment is not None:
            locked.comment = _clean_comment(comment, required=True)
        locked.comment = _clean_comment(locked.comment, required=True)
        if not locked.edits.exists():
            raise ValidationError(EMPTY_CHANGESET % {"id": locked.pk}, code="empty")
        conflicts = conflicts_of(locked)
        if conflicts:
            raise ChangesetStateError(
                [
                    ValidationError(
                        CONFLICT
                        % {
                            "zone": edit.zone.name,
                            "other": other.pk,
                            "comment": other.comment,
                            "state": _state_label(other),
                            "author": other.author.get_username(),
                        },
                        code="conflict",
                    )
                    for edit, other in conflicts
                ]
            )
        locked.state = ChangesetState.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.review_note = ""
        return _save(locked, user=user, reason="submitted")


def _check_reviewer(changeset: Changeset, user: AbstractBaseUser) -> None:
    if changeset.author_id == user.pk:
        raise refusals.NotPermitted(OWN_CHANGESET % {"id": changeset.pk}, code="own_changeset")
    if not may_review(user, changeset):
        raise PermissionDenied(NOT_A_REVIEWER)


def changeset_approve(*, changeset: Changeset, user: AbstractBaseUser) -> Changeset:
    """Approve a submitted changeset (not your own); it is then published now or on a date."""
    with transaction.atomic():
        locked = _locked(changeset)
        _check_reviewer(locked, user)
        if locked.state != ChangesetState.SUBMITTED:
            raise _wrong_state(locked, _("approved"))
        locked.state = ChangesetState.APPROVED
        locked.reviewer = user
        locked.reviewed_at = timezone.now()
        return _save(locked, user=user, reason="approved")


def changeset_send_back(*, changeset: Changeset, user: AbstractBaseUser, reason: str) -> Changeset:
    """Return a submitted or approved changeset to its author with a reason."""
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": ValidationError(SEND_BACK_REASON, code="required")})
    if len(reason) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": ValidationError(
                    COMMENT_TOO_LONG % {"max": COMMENT_MAX_LENGTH}, code="max_length"
                )
            }
        )
    with transaction.atomic():
        locked = _locked(changeset)
        _check_reviewer(locked, user)
        if locked.state not in (ChangesetState.SUBMITTED, ChangesetState.APPROVED):
            raise _wrong_state(locked, _("sent back"))
        locked.state = ChangesetState.SENT_BACK
        locked.review_note = reason
        locked.reviewer = user
        locked.reviewed_at = timezone.now()
        locked.publish_at = None
        return _save(locked, user=user, reason=f"sent back: {reason}")


def _check_publishable(changeset: Changeset, user: AbstractBaseUser) -> None:
    if not may_review(user, changeset) and changeset.author_id != user.pk:
        raise PermissionDenied(NOT_A_REVIEWER)
    if changeset.state == ChangesetState.SENT_BACK:
        raise ChangesetStateError(
            SENT_BACK_PUBLISH % {"id": changeset.pk, "reason": changeset.review_note},
            code="sent_back",
        )
    if changeset.state != ChangesetState.APPROVED:
        raise _wrong_state(changeset, _("published"))


def changeset_schedule(
    *,
    changeset: Changeset,
    user: AbstractBaseUser,
    publish_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Changeset:
    """Publish an approved changeset at ``publish_at`` (aware, in the future)."""
    if not isinstance(publish_at, dt.datetime) or publish_at.tzinfo is None:
        raise ValidationError({"publish_at": ValidationError(NAIVE_SCHEDULE, code="invalid")})
    if publish_at <= _now(now):
        raise ValidationError(
            {
                "publish_at": ValidationError(
                    PAST_SCHEDULE
                    % {"when": timezone.localtime(publish_at).isoformat(timespec="minutes")},
                    code="past",
                )
            }
        )
    with transaction.atomic():
        locked = _locked(changeset)
        _check_publishable(locked, user)
        locked.publish_at = publish_at
        locked.publisher = user
        locked.publish_error = ""
        return _save(locked, user=user, reason="scheduled")


def _reason(changeset: Changeset) -> str:
    text = f"#{changeset.pk} {changeset.comment}"
    return text[: zone_services.REASON_MAX_LENGTH]


def _model_fields(values: Mapping[str, object]) -> dict[str, object]:
    out = {}
    for name, value in values.items():
        if name in REFERENCE_FIELDS and value is not None:
            value = REFERENCE_FIELDS[name].objects.get(pk=value)
        out[name] = value
    return out


def _apply(changeset: Changeset) -> None:
    """Apply every edit through the zone services; raise (and undo all) at the first refusal."""
    edits = list(changeset.edits.select_related("zone").order_by("pk"))
    zone_ids = sorted(e.zone_id for e in edits if e.zone_id)
    # Lock in id order so two publishes touching the same zones cannot deadlock.
    current = {
        z.pk: z
        for z in MarketZone.objects.select_for_update().filter(pk__in=zone_ids).order_by("pk")
    }
    stale = [
        ValidationError(
            STALE_BASE
            % {
                "zone": current[e.zone_id].name,
                "id": e.zone_id,
                "current": current[e.zone_id].version,
                "base": e.base_version,
            },
            code="stale",
        )
        for e in edits
        if e.zone_id and current[e.zone_id].version != e.base_version
    ]
    if stale:
        raise ChangesetStateError(stale)
    reason = _reason(changeset)
    author = changeset.author
    for edit in edits:
        name = current[edit.zone_id].name if edit.zone_id else edit.fields.get("name", "")
        try:
            _apply_one(edit, author=author, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise ChangesetStateError(
                EDIT_REFUSED % {"zone": name, "message": " ".join(messages)},
                code="edit_refused",
            ) from None


def _apply_one(edit: ZoneEdit, *, author: AbstractBaseUser, reason: str) -> None:
    # A rules edit goes through zone_update_rules whole (hours, status and its reason, goods),
    # so the rules page's checks (a suspended zone needs its reason) apply at publish.
    rule_names = (
        RULE_FIELDS if edit.kind != EditKind.RULES else (*RULE_FIELDS, *zone_services.HOURS_FIELDS)
    )
    zone_fields = {
        n: v
        for n, v in edit.fields.items()
        if n in zone_services.EDITABLE_FIELDS and n not in rule_names
    }
    rules = {n: v for n, v in edit.fields.items() if n in rule_names}
    if edit.kind == EditKind.CREATE:
        result = zone_services.zone_create(
            boundary=edit.boundary,
            fields=_model_fields(zone_fields),
            rules=rules,
            user=author,
            reason=reason,
        )
        edit.zone = result.zone
    elif edit.kind == EditKind.RETIRE:
        result = zone_services.zone_retire(
            zone=edit.zone, expected_version=edit.base_version, user=author, reason=reason
        )
    elif edit.kind == EditKind.REINSTATE:
        result = zone_services.zone_restore(
            zone=edit.zone, expected_version=edit.base_version, user=author, reason=reason
        )
    else:
        result = None
        expected = edit.base_version
        if zone_fields or edit.boundary is not None:
            result = zone_services.zone_update(
                zone=edit.zone,
                expected_version=expected,
                user=author,
                reason=reason,
                boundary=edit.boundary,
                fields=_model_fields(zone_fields),
            )
            expected = result.zone.version
        if rules:
            result = zone_services.zone_update_rules(
                zone=edit.zone,
                data=rules,
                expected_version=expected,
                user=author,
                reason=reason,
            )
    edit.result_version = result.zone.version
    edit.save(update_fields=["zone", "result_version"])


def changeset_publish(
    *, changeset: Changeset, user: AbstractBaseUser, now: dt.datetime | None = None
) -> Changeset:
    """Apply an approved changeset now, all edits in one transaction, or none of them."""
    with transaction.atomic():
        locked = _locked(changeset)
        _check_publishable(locked, user)
        if locked.publish_at is not None and locked.publish_at > _now(now):
            raise ChangesetStateError(
                NOT_DUE
                % {
                    "id": locked.pk,
                    "when": timezone.localtime(locked.publish_at).isoformat(timespec="minutes"),
                },
                code="not_due",
            )
        return _publish_locked(locked, publisher=user, now=now)


def _publish_locked(
    locked: Changeset, *, publisher: AbstractBaseUser, now: dt.datetime | None
) -> Changeset:
    _apply(locked)
    locked.state = ChangesetState.PUBLISHED
    locked.publisher = publisher
    locked.published_at = _now(now)
    locked.publish_error = ""
    return _save(locked, user=publisher, reason="published")


def publish_due_changesets(*, now: dt.datetime | None = None) -> list[tuple[Changeset, str]]:
    """Publish every approved changeset whose time has come; one failing leaves the others.

    Returns (changeset, "" or the refusal) pairs. A refused one keeps its state, loses its
    schedule (so it is not retried every minute) and shows the refusal on its review page.
    """
    moment = _now(now)
    due = list(
        Changeset.objects.filter(state=ChangesetState.APPROVED, publish_at__lte=moment)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)
    )
    results = []
    for pk in due:
        try:
            with transaction.atomic():
                locked = _locked(Changeset(pk=pk))
                if locked.state != ChangesetState.APPROVED or locked.publish_at is None:
                    continue
                publisher = locked.publisher or locked.reviewer
                results.append((_publish_locked(locked, publisher=publisher, now=moment), ""))
        except ValidationError as exc:
            message = " ".join(exc.messages)[:500]
            with transaction.atomic():
                locked = _locked(Changeset(pk=pk))
                locked.publish_error = message
                locked.publish_at = None
                _save(
                    locked,
                    user=locked.publisher or locked.reviewer,
                    reason="scheduled publish refused",
                )
            results.append((locked, message))
    return results


def changeset_for_restore(
    *, zone: MarketZone, history_id: int, user: AbstractBaseUser, comment: str
) -> Changeset:
    """Restoring a past version is a new draft changeset proposing that version's values."""
    record = zone.history.filter(history_id=history_id).first()
    if record is None:
        raise ValidationError(
            _("Version %(id)s is not in this zone's history.") % {"id": history_id},
            code="no_such_version",
        )
    fields = {}
    for name in zone_services.RESTORED_FIELDS:
        key = name.removesuffix("_id")
        if key == "status" and getattr(record, name) == ZoneStatus.RETIRED:
            continue
        fields[key] = getattr(record, name)
    allowed = _allowed_fields(user)
    fields = {n: v for n, v in fields.items() if n in allowed}
    with transaction.atomic():
        changeset = changeset_create(
            user=user,
            comment=comment
            or _("Restore version %(version)s of “%(zone)s”")
            % {"version": record.version, "zone": zone.name},
        )
        changeset_add_edit(
            changeset=changeset,
            user=user,
            kind=EditKind.UPDATE,
            zone=zone,
            base_version=None,
            boundary=record.boundary,
            fields=fields,
        )
        return changeset


def changeset_propose(
    *,
    user: AbstractBaseUser,
    zone: MarketZone,
    kind: str,
    base_version: int | None,
    comment: str,
    fields: Mapping[str, object] | None = None,
    boundary: GEOSGeometry | None = None,
) -> ZoneEdit:
    """Put one edit into the user's newest draft (opened with ``comment`` if there is none).

    The staff pages (editor, rules page) save this way: nothing goes live before review.
    """
    with transaction.atomic():
        draft = (
            Changeset.objects.filter(
                author_id=getattr(user, "pk", None), state=ChangesetState.DRAFT
            )
            .order_by("-pk")
            .first()
        )
        if draft is None:
            draft = changeset_create(user=user, comment=comment)
        return changeset_add_edit(
            changeset=draft,
            user=user,
            kind=kind,
            zone=zone,
            base_version=base_version,
            fields=fields,
            boundary=boundary,
        )
