"""One example feature per layer for the OpenAPI document (public fields, as anonymous
callers get them; the demo city's data, coordinates WGS84 lon/lat)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

FEATURES = {
    "projects": {
        "type": "Feature", "id": 1,
        "geometry": {"type": "Point", "coordinates": [98.293347, 39.775566]},
        "properties": {
            "code": "ZD2026-001", "name": "西陲特钢硅钢片深加工项目",
            "category": "industry", "category_label": "工业",
            "build_type": "continuing", "build_type_label": "续建",
            "stage": "operating", "stage_label": "投运",
            "planned_start": "2024-06-25", "planned_end": "2026-03-11",
            "actual_start": "2024-08-21", "actual_end": "2026-04-03",
            "percent_complete": 100.0, "lead_department": "工信局",
            "lead_department_code": "gxj", "district": "新钢区",
            "updated_at": "2026-12-03T18:55:34+08:00",
        },
    },
    "livelihood": {
        "type": "Feature", "id": 25,
        "geometry": {"type": "Point", "coordinates": [98.271928, 39.823158]},
        "properties": {
            "code": "MS2026-M01", "name": "城区公共停车场建设",
            "programme": "municipal", "programme_label": "市级为民实事",
            "category": "other", "category_label": "其他",
            "status": "in_progress", "status_label": "推进中", "percent_complete": 72.0,
            "lead_department": "城管执法局", "lead_department_code": "cgzfj",
            "district": "关城区", "next_milestone": "竣工验收投入使用",
            "next_milestone_date": "2026-12-07", "updated_at": "2026-12-03T18:55:34+08:00",
        },
    },
    "markets": {
        "type": "Feature", "id": 5,
        "geometry": {"type": "MultiPolygon", "coordinates": [[[
            [98.331639, 39.816015], [98.333019, 39.815828], [98.333161, 39.816449],
            [98.331781, 39.816636], [98.331639, 39.816015],
        ]]]},
        "properties": {
            "name": "体育中心东侧后备箱集市", "kind": "trunk", "kind_label": "后备箱集市",
            "status": "active", "status_label": "运营中", "status_reason": "",
            "address": "瀚海区体育中心东侧停车场", "district": "瀚海区",
            "capacity": 100, "area_m2": 8400.2, "permitted_goods": ["日用百货", "冷饮"],
            "prohibited_goods": ["油烟类餐饮"], "duties": ["摊走地净"], "version": 1,
            "open_now": False, "next_change": "2027-07-01T18:00:00+08:00",
        },
    },
}


def list_example(layer: str) -> OpenApiExample:
    return OpenApiExample(
        layer, value={"type": "FeatureCollection", "features": [FEATURES[layer]]},
        response_only=True,
    )


def detail_example(layer: str) -> OpenApiExample:
    return OpenApiExample(layer, value=FEATURES[layer], response_only=True)
