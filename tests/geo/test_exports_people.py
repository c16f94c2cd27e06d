"""CSV and Excel for people (issue 16 item 3): headings, money as read, and the field table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

# The public project columns, as the selector orders them, then data_as_of, lon, lat, wkt.
PUBLIC_PROJECT_HEADINGS = [
    "编号",
    "名称",
    "类别代码",
    "类别",
    "建设性质代码",
    "建设性质",
    "阶段代码",
    "阶段",
    "计划开工",
    "计划竣工",
    "实际开工",
    "实际竣工",
    "进度（%）",
    "牵头单位",
    "牵头单位代码",
    "区县",
    "更新时间",
    "数据截至",
    "经度（WGS84）",
    "纬度（WGS84）",
    "几何（WKT，WGS84）",
]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM stays
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_public_csv_has_chinese_headings(api_client, project_factory):
    project_factory(name="甬金金融科技项目", code="P0001")
    response = api_client.get("/api/v1/projects.csv")
    header, row = _csv(response)
    assert header == PUBLIC_PROJECT_HEADINGS
    assert row[:2] == ["P0001", "甬金金融科技项目"]
    assert response["Link"] == '</api/v1/projects.csv?table=fields>; rel="describedby"'


@pytest.mark.django_db
def test_staff_csv_reads_money_in_yi_and_wan(staff_client, project_factory):
    # 4,742,430.3 万元 = 474.2 亿元; 9,994.9 万元 stays in 万元 (below 1 亿), grouped: 9,995 万元.
    project_factory(
        total_investment=Decimal("4742430.3"),
        planned_investment_year=Decimal("9994.9"),
        completed_investment_year=Decimal("0"),
        bond_requested=Decimal("10000"),
    )
    [header, row] = _csv(staff_client.get("/api/v1/projects.csv"))
    cells = dict(zip(header, row, strict=True))
    assert (cells["总投资（万元）"], cells["总投资"]) == ("4742430.3", "474.2 亿元")
    assert (cells["年度计划投资（万元）"], cells["年度计划投资"]) == ("9994.9", "9,995 万元")
    assert (cells["年度完成投资（万元）"], cells["年度完成投资"]) == ("0.0", "0 万元")
    assert (cells["专项债申请额（万元）"], cells["专项债申请额"]) == ("10000.0", "1.0 亿元")
    # The twin follows its raw column.
    index = header.index("总投资（万元）")
    assert header[index + 1] == "总投资"


@pytest.mark.django_db
def test_english_headings(api_client, project_factory):
    project_factory()
    header, _row = _csv(api_client.get("/api/v1/projects.csv", HTTP_ACCEPT_LANGUAGE="en"))
    assert header[:3] == ["Code", "Name", "Category code"]
    assert header[12:14] == ["Progress (%)", "Lead department"]


@pytest.mark.django_db
def test_csv_field_table(staff_client, project_factory):
    project_factory()
    response = staff_client.get("/api/v1/projects.csv?table=fields")
    assert response["Content-Disposition"].endswith('-fields.csv"')
    rows = _csv(response)
    assert rows[0] == ["列名", "字段名（GeoJSON、GeoPackage、API）", "备注"]
    table = {machine: (heading, note) for heading, machine, note in rows[1:]}
    assert table["name"] == ("名称", "")
    assert table["lead_department"] == ("牵头单位", "")
    assert table["total_investment"] == ("总投资（万元）", "原始数值")
    assert table["total_investment_text"] == ("总投资", "读数：1 亿元及以上以亿元计，以下以万元计")
    assert table["wkt"] == ("几何（WKT，WGS84）", "")
    # Every heading of the CSV itself is in the table, in order.
    [header, _row] = _csv(staff_client.get("/api/v1/projects.csv"))
    assert [heading for heading, _machine, _note in rows[1:]] == header


@pytest.mark.django_db
def test_xlsx_for_people_has_headings_and_a_field_sheet(api_client, zone_factory, tmp_path):
    zone_factory(name="大唐路夜市", capacity=60)
    path = tmp_path / "markets.xlsx"
    path.write_bytes(api_client.get("/api/v1/markets.xlsx").content)
    book = load_workbook(path)
    assert book.sheetnames == ["markets", "fields", "metadata"]
    sheet = book["markets"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["名称", "种类代码", "类型"]
    assert header[-4:] == ["数据截至", "经度（WGS84）", "纬度（WGS84）", "几何（WKT，WGS84）"]
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert (row["名称"], row["摊位容量"]) == ("大唐路夜市", 60)
    fields = [[c.value for c in r] for r in book["fields"].iter_rows()]
    assert fields[0] == ["列名", "字段名（GeoJSON、GeoPackage、API）", "备注"]
    assert [r[:2] for r in fields[1:4]] == [
        ["名称", "name"],
        ["种类代码", "kind"],
        ["类型", "kind_label"],
    ]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/projects.csv?headers=both", "headers"),
        ("/api/v1/projects.xlsx?table=fields", "table"),
        ("/api/v1/projects.csv?table=rows", "table"),
    ],
)
@pytest.mark.django_db
def test_bad_options_are_400(api_client, url, field):
    response = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_machine_formats_keep_machine_names(api_client, project_factory):
    project_factory()
    [header, _row] = _csv(api_client.get("/api/v1/projects.csv?headers=machine"))
    assert header[:2] == ["code", "name"]
    assert "Link" not in api_client.get("/api/v1/projects.csv?headers=machine")
