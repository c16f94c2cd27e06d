"""/api/v1/orders/: supervision orders and their actions, staff only (thin views)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.api.schema import Error
from geo.models import Department, Leader
from geo.roles import is_staff_reader
from sites.models import Blocker, LivelihoodWork, Project
from sites.orders import selectors, services
from sites.orders.models import SupervisionOrder
from sites.orders.serializers import (
    OrderDetailOutput,
    OrderInput,
    OrderOutput,
    ReasonInput,
    ReplyInput,
    ReplyOutput,
    TextInput,
)

CONFLICT = OpenApiResponse(Error, description="The step does not apply to the order's state now")

STAFF_ONLY = "Supervision orders are for staff."


def _staff(request) -> None:
    if not is_staff_reader(request.user):
        raise PermissionDenied(_(STAFF_ONLY))


def _context(request) -> dict:
    return {"request": request, "today": timezone.localdate(), "cal": selectors.holiday_sets()}


def _one(model, pk, field):
    """The object ``pk`` names; one that does not exist is a 404 naming it."""
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("No such %(field)s: %(id)s.") % {"field": field, "id": pk})
    return obj


def _detail(request, pk: int, code=status.HTTP_200_OK) -> Response:
    order = selectors.order_detail(pk)
    return Response(OrderDetailOutput(order, context=_context(request)).data, status=code)


class OrderListView(APIView):
    """GET: orders (filters: state, department, overdue, project). POST: issue an order.

    The order concerns exactly one ``project`` or ``work`` (a missing one is a 404);
    ``blocker`` must be an open blocker of that project; ``department``, when given, must be
    its lead department; ``deadline`` (default by severity) cannot be in the past.
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    # Its query parameters (department codes read from the database) are added when the
    # document is written: sites.api.openapi.OrderListSchema.
    @extend_schema(responses=OrderOutput(many=True))
    def get(self, request):
        _staff(request)
        filters = selectors.parse_order_filters(request.query_params)
        services.escalate_lazily()
        qs = selectors.orders(filters)[:1000]
        return Response(OrderOutput(qs, many=True, context=_context(request)).data)

    @extend_schema(request=OrderInput, description=(
        "Issue a supervision order (leaders and the project office). Rules across fields: "
        "exactly one of project and work; a blocker belongs to the project and is open; "
        "department, when given, is the subject's lead department; deadline is today or later "
        "(Asia/Shanghai). An id that names nothing is a 404."
    ), responses={
        201: OrderDetailOutput,
        404: OpenApiResponse(Error, description="The project, work, blocker, department or "
                                                "leader named does not exist"),
        400: OpenApiResponse(description="bad input (e.g. not the lead department)"),
    })
    def post(self, request):
        _staff(request)
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.order_issue(
            user=request.user,
            project=_one(Project, v["project"], "project"),
            work=_one(LivelihoodWork, v["work"], "work"),
            blocker=_one(Blocker, v["blocker"], "blocker"),
            department=_one(Department, v["department"], "department"),
            leader=_one(Leader, v["leader"], "leader"),
            subject=v["subject"], requirement=v["requirement"], severity=v["severity"],
            deadline=v["deadline"],
        )
        return _detail(request, order.pk, status.HTTP_201_CREATED)



def _order(request, pk: int) -> SupervisionOrder:
    _staff(request)
    return get_object_or_404(SupervisionOrder, pk=pk)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderDetailOutput)
    def get(self, request, pk: int):
        _order(request, pk)
        return _detail(request, pk)


class OrderSignView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: OrderDetailOutput, 409: CONFLICT})
    def post(self, request, pk: int):
        order = _order(request, pk)

        def step():
            services.order_sign(order=order, user=request.user)
            return _detail(request, pk)

        return step()  # a StateConflict is a 409 (geo.api.errors)


class _ReplyBase(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, JSONParser]
    step = staticmethod(services.order_reply)

    def post(self, request, pk: int):
        order = _order(request, pk)
        data = ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)

        def step():
            reply = self.step(order=order, user=request.user, text=data.validated_data["text"],
                              files=data.validated_data["files"])
            return Response(ReplyOutput(reply).data, status=status.HTTP_201_CREATED)

        return step()  # a StateConflict is a 409 (geo.api.errors)


REPLY_BODY = {"multipart/form-data": ReplyInput, "application/json": ReplyInput}


class OrderReplyView(_ReplyBase):
    """A reply (text, photos and PDFs as ``files``, multipart); the addressed department."""

    @extend_schema(request=REPLY_BODY, responses={201: ReplyOutput, 409: CONFLICT})
    def post(self, request, pk: int):
        return super().post(request, pk)


class OrderSubmitView(_ReplyBase):
    """Report the order done and ask for closure; the addressed department."""

    step = staticmethod(services.order_submit)

    @extend_schema(request=REPLY_BODY, responses={201: ReplyOutput, 409: CONFLICT})
    def post(self, request, pk: int):
        return super().post(request, pk)


class OrderSendBackView(APIView):
    """The issuer or the project office sends a submitted order back, saying why."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=ReasonInput, responses={200: OrderDetailOutput, 409: CONFLICT})
    def post(self, request, pk: int):
        order = _order(request, pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)

        def step():
            services.order_send_back(order=order, user=request.user,
                                     text=data.validated_data["text"])
            return _detail(request, pk)

        return step()  # a StateConflict is a 409 (geo.api.errors)


class OrderCloseView(APIView):
    """销号: the issuer or the project office closes the order (its blocker is resolved)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=TextInput, responses={200: OrderDetailOutput, 409: CONFLICT})
    def post(self, request, pk: int):
        order = _order(request, pk)
        data = TextInput(data=request.data)
        data.is_valid(raise_exception=True)

        def step():
            services.order_close(order=order, user=request.user,
                                 text=data.validated_data["text"])
            return _detail(request, pk)

        return step()  # a StateConflict is a 409 (geo.api.errors)
