"""Import of projects and livelihood works: dry run report, one transaction, bad files."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils.translation import override

from sites import importers
from sites.models import LivelihoodWork, Project

HEADER = "code,name,category,build_type,lead_department,leader,total_investment," \
         "planned_investment_year,lon,lat"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def run(data: bytes, *, layer: str = "projects", commit: bool = False, user=None):
    return importers.sites_import(
        data=data, filename="upload.csv", layer=layer, user=user, commit=commit
    )


@pytest.fixture(autouse=True)
def english():
    """Messages compared below are the English msgids (the portal defaults to Chinese)."""
    with override("en"):
        yield


@pytest.fixture
def office(user_factory):
    return user_factory("project_office")


@pytest.mark.django_db
def test_dry_run_reports_rows_and_writes_nothing(city, department, leader, project_factory):
    project_factory(code="P-OLD", name="旧名称")
    data = csv_bytes(
        "P-NEW,索通盛源碳材料,industry,new,fgw,王副市长,12000,5000,98.28,39.79",
        "P-OLD,甬金金融科技,industry,continuing,发改委,王副市长,8000,3000,98.29,39.80",
    )
    report = run(data)
    assert [(r.row, r.code, r.action, r.messages) for r in report.rows] == [
        (2, "P-NEW", "created", []),
        (3, "P-OLD", "updated", []),
    ]
    assert report.counts == {"created": 1, "updated": 1, "rejected": 0}
    assert not report.committed
    assert Project.objects.filter(code="P-NEW").count() == 0
    assert Project.objects.get(code="P-OLD").name == "旧名称"


@pytest.mark.django_db
def test_commit_writes_all_rows_with_history(city, department, leader, project_factory, office):
    project_factory(code="P-OLD", name="旧名称")
    data = csv_bytes(
        "P-NEW,索通盛源碳材料,energy,新建,fgw,王副市长,\"12,000\",5000,98.28,39.79",
        "P-OLD,甬金金融科技,industry,continuing,发改委,王副市长,8000,3000,98.29,39.80",
        header=HEADER.replace("category", "类别").replace("build_type", "建设性质"),
    )
    report = run(data, commit=True, user=office)
    assert report.committed
    new = Project.objects.get(code="P-NEW")
    assert new.name == "索通盛源碳材料"
    assert new.total_investment == Decimal("12000")
    assert (new.geom.x, new.geom.y) == (98.28, 39.79)
    assert new.plan_year >= 2026
    old = Project.objects.get(code="P-OLD")
    assert old.name == "甬金金融科技"
    assert old.build_type == "continuing"
    latest = old.history.first()
    assert latest.history_user == office
    assert latest.history_change_reason == "Imported from upload.csv"


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "message"), [
    ("P1,项目,industry,new,nope,王副市长,1,1,98.28,39.79",
     "Row 2, column “lead_department”: there is no department “nope”; give its code or its "
     "exact name as the portal lists it."),
    ("P1,项目,industry,new,fgw,李四,1,1,98.28,39.79",
     "Row 2, column “leader”: there is no city leader “李四”; give the exact name as the portal "
     "lists it."),
    ("P1,项目,industry,new,fgw,王副市长,-5,1,98.28,39.79",
     "Row 2, column “total_investment”: the amount cannot be negative."),
    ("P1,项目,industry,new,fgw,王副市长,abc,1,98.28,39.79",
     "Row 2, column “total_investment”: “abc” is not a number; write digits only, e.g. 1200.5."),
    ("P1,项目,mining,new,fgw,王副市长,1,1,98.28,39.79",
     "Row 2, column “category”: “mining” is not one of the allowed values: Industry / New "
     "energy / Infrastructure / Urban development / Social services / Agriculture / Modern "
     "services."),
    # lon/lat of Beijing: outside the city frame 98.20-98.36 / 39.74-39.84.
    ("P1,项目,industry,new,fgw,王副市长,1,1,116.4,39.9",
     "Row 2, column “lon/lat”: the location lies outside the city boundary."),
    ("P1,项目,industry,new,fgw,王副市长,1,1,39.79,98.28",
     "Row 2, column “lon/lat”: the location lies outside the city; longitude and latitude look "
     "swapped."),
    ("P1,项目,industry,new,fgw,王副市长,1,1,98.28,",
     "Row 2, column “lon/lat”: give both longitude and latitude, or neither."),
    ("P1,项目,industry,new,fgw,,1,1,98.28,39.79",
     "Row 2, column “leader”: a new row needs this column filled in."),
    (",项目,industry,new,fgw,王副市长,1,1,98.28,39.79",
     "Row 2, column “code”: the code is empty; every row needs the project's or work's code."),
])
def test_rejected_rows_say_why(city, department, leader, row, message):
    [result] = run(csv_bytes(row)).rows
    assert result.action == "rejected"
    assert result.messages == [message]


# The headers as the commission writes them: the messages name these columns, in Chinese.
CHINESE_HEADER = "编号,项目名称,类别,建设性质,牵头单位,包抓领导,总投资,年度计划投资,经度,纬度"


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "message"), [
    ("P1,项目,工业,新建,nope,王副市长,1,1,98.28,39.79",
     "第 2 行“牵头单位”列：没有“nope”这个单位，请填写门户列出的编号或准确名称。"),
    ("P1,项目,工业,新建,发改委,李四,1,1,98.28,39.79",
     "第 2 行“包抓领导”列：没有“李四”这位市领导，请填写门户列出的准确姓名。"),
    ("P1,项目,工业,新建,发改委,,1,1,98.28,39.79",
     "第 2 行“包抓领导”列：新增的行必须填写此列。"),
    ("P1,项目,工业,新建,发改委,王副市长,一千,1,98.28,39.79",
     "第 2 行“总投资”列：“一千”不是数字，请只填数字，例如 1200.5。"),
    ("P1,项目,工业,新建,发改委,王副市长,1,-1,98.28,39.79",
     "第 2 行“年度计划投资”列：金额不能为负数。"),
    ("P1,项目,采矿,新建,发改委,王副市长,1,1,98.28,39.79",
     "第 2 行“类别”列：“采矿”不是允许的取值：工业 / 新能源 / 基础设施 / 城市建设 / 社会事业 / "
     "农业农村 / 现代服务业。"),
    ("P1,项目,工业,新建,发改委,王副市长,1,1,116.4,39.9",
     "第 2 行“经度/纬度”列：位置在城市边界之外。"),
])
def test_rejections_in_chinese_name_the_row_and_the_column(city, department, leader, row,
                                                           message):
    with override("zh-hans"):
        [result] = run(csv_bytes(row, header=CHINESE_HEADER)).rows
    assert result.action == "rejected"
    assert result.messages == [message]
    # No internal field name and no raw database message reaches the user.
    assert "null" not in message
    assert "lead_department" not in message


@pytest.mark.django_db
def test_a_row_without_coordinates_is_imported_as_not_yet_placed(city, department, leader,
                                                                 office, staff_client):
    data = csv_bytes("P1,有坐标项目,industry,new,fgw,王副市长,100,50,98.28,39.79",
                     "P2,待落图项目,industry,new,fgw,王副市长,200,80,,")
    report = run(data)
    assert [(r.code, r.action, r.unplaced) for r in report.rows] == [
        ("P1", "created", False), ("P2", "created", True)]
    assert report.unplaced == 1
    run(data, commit=True, user=office)
    assert Project.objects.get(code="P2").geom is None
    assert Project.objects.get(code="P1").geom.coords == (98.28, 39.79)
    # Counted in the figures (2 projects, 300 万元 total investment; 130 planned this year) …
    overall = staff_client.get("/api/v1/stats/").json()["overall"]
    assert overall["projects"] == 2
    assert overall["planned_investment"] == 130
    # … and off the map layer.
    layer = staff_client.get("/api/v1/projects/").json()
    assert [f["properties"]["code"] for f in layer["features"]] == ["P1"]


@pytest.mark.django_db
def test_a_livelihood_work_still_needs_a_location(city, department, leader):
    header = "code,name,programme,category,lead_department,leader"
    [result] = run(csv_bytes("L1,地下管网,municipal,pipe_network,fgw,王副市长", header=header),
                   layer="livelihood").rows
    assert result.action == "rejected"
    assert result.messages == ["Row 2, column “经度/纬度”: a new livelihood work needs a "
                               "location: a wkt column, or lon and lat."]


@pytest.mark.django_db
def test_an_update_without_coordinates_keeps_the_location(city, department, leader,
                                                          project_factory):
    project = project_factory(code="P-OLD")
    before = project.geom.wkt
    [result] = run(csv_bytes("P-OLD,新名称,industry,new,fgw,王副市长,1,1,,")).rows
    assert (result.action, result.unplaced) == ("updated", False)
    assert Project.objects.get(code="P-OLD").geom.wkt == before


@pytest.mark.django_db
@pytest.mark.parametrize(("wkt", "message"), [
    ("POLYGON((98.28 39.79, 98.29 39.80, 98.29 39.79, 98.28 39.80, 98.28 39.79))",
     "not valid"),  # a bow-tie: the ring crosses itself
    ("LINESTRING(98.28 39.79, 98.29 39.80)",
     "a key project is a point or an area (polygon), not a LineString"),
    ("POINT(98.28)", "not valid WKT"),
    ("POINT Z (98.28 39.79 10)", "3-D"),
])
def test_rejected_geometries(city, department, leader, wkt, message):
    header = "code,name,category,build_type,lead_department,leader,total_investment," \
             "planned_investment_year,wkt"
    data = csv_bytes(f'P1,项目,industry,new,fgw,王副市长,1,1,"{wkt}"', header=header)
    [result] = run(data).rows
    assert result.action == "rejected"
    assert message in " ".join(result.messages), result.messages


@pytest.mark.django_db
def test_nul_characters_are_rejected(city, department, leader):
    # Past the first 8 kB (where a NUL means "binary file"), a NUL rejects its row only.
    rows = [f"P{i},项目{i},industry,new,fgw,王副市长,1,1,98.28,39.79" for i in range(300)]
    rows.append("PX,项\x00目,industry,new,fgw,王副市长,1,1,98.28,39.79")
    results = run(csv_bytes(*rows)).rows
    assert results[-1].messages == [
        "Row 302, column “name”: the cell contains a NUL character; delete it."]
    assert {r.action for r in results[:-1]} == {"created"}


@pytest.mark.django_db
def test_duplicate_codes_in_one_file(city, department, leader):
    row = "P1,项目,industry,new,fgw,王副市长,1,1,98.28,39.79"
    results = run(csv_bytes(row, row)).rows
    assert [r.action for r in results] == ["created", "rejected"]
    assert results[1].messages == [
        "Row 3, column “code”: code P1 is already on row 2 of this file."]


@pytest.mark.django_db
def test_commit_with_a_rejected_row_writes_nothing(city, department, leader, office):
    data = csv_bytes("P1,项目,industry,new,fgw,王副市长,1,1,98.28,39.79",
                     "P2,项目,industry,new,fgw,王副市长,-1,1,98.28,39.79")
    with pytest.raises(ValidationError) as exc:
        run(data, commit=True, user=office)
    assert exc.value.code == "rejected"
    assert Project.objects.count() == 0


@pytest.mark.django_db
def test_gbk_csv_from_chinese_excel(city, department, leader):
    data = csv_bytes("P1,中鹏房地产,urban,new,发改委,王副市长,1,1,98.28,39.79", encoding="gbk")
    [result] = run(data).rows
    assert result.action == "created", result.messages


def _zeros_zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("bomb.csv", "w") as member:
        chunk = b"0" * 1024 * 1024
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "code"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not_a_table"),
    (b"%PDF-1.7\n...", "not_a_table"),
    (b"code,name\nP1,\xff\xfe\xff\xff\n", "encoding"),
    (b"", "no_header"),
    (b"name,lon,lat\n\xe9\xa1\xb9\xe7\x9b\xae,98.28,39.79\n", "no_code"),
    (b"PK\x03\x04 not really a zip", "zip"),
])
def test_bad_files_are_refused(city, data, code):
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert exc.value.code == code
    assert exc.value.messages[0]


@pytest.mark.django_db
def test_zip_bomb_is_refused_before_unpacking(city, settings):
    settings.IMPORT_MAX_UNZIPPED_BYTES = 4 * 1024 * 1024
    data = _zeros_zip(8 * 1024 * 1024)
    # 8 MB of zeros deflate to a few kB: the size is only known from the zip's directory.
    assert len(data) < 64 * 1024
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert exc.value.code == "zip_bomb"


@pytest.mark.parametrize("path", [
    "/vsicurl/http://example.invalid/x.csv", "/VSIZIP//tmp/a.zip/x.shp", "https://x/y.csv",
])
def test_gdal_virtual_paths_and_urls_are_refused(path):
    with pytest.raises(ValidationError) as exc:
        importers.check_path(path)
    assert exc.value.code == "bad_path"


def _shapefile_zip(tmp_path: Path, *, encoding: str, keep_cpg: bool) -> bytes:
    frame = gpd.GeoDataFrame(
        {"code": ["L1", "L2"], "name": ["城市燃气管道老化更新", "五一路小学教学楼"],
         "programme": ["municipal", "project"], "category": ["gas_pipeline", "education"],
         "lead_depar": ["发改委", "fgw"], "leader": ["王副市长", "王副市长"]},
        geometry=[shapely.LineString([(98.25, 39.78), (98.27, 39.78)]),
                  shapely.Point(98.26, 39.77)],
        crs="EPSG:4326",
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    for kind in ("LineString", "Point"):
        part = frame[frame.geom_type == kind]
        part.to_file(folder / f"works_{kind}.shp", engine="pyogrio", encoding=encoding)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".cpg" and not keep_cpg:
                continue
            data = path.read_bytes()
            if path.suffix == ".dbf" and not keep_cpg:
                data = data[:29] + b"\x00" + data[30:]  # no language driver id either
            archive.writestr(f"数据/{path.name}", data)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("encoding", "keep_cpg"), [("GBK", False), ("UTF-8", False),
                                                    ("GBK", True)])
def test_zipped_shapefiles_with_or_without_cpg(city, department, leader, tmp_path, office,
                                               encoding, keep_cpg):
    data = _shapefile_zip(tmp_path, encoding=encoding, keep_cpg=keep_cpg)
    report = run(data, layer="livelihood", commit=True, user=office)
    assert report.counts == {"created": 2, "updated": 0, "rejected": 0}, report.rows
    names = dict(LivelihoodWork.objects.values_list("code", "name"))
    assert names == {"L1": "城市燃气管道老化更新", "L2": "五一路小学教学楼"}
    line = LivelihoodWork.objects.get(code="L1").geom
    assert line.geom_type == "LineString"
    assert line.coords == ((98.25, 39.78), (98.27, 39.78))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "zip", "geojson"])
@pytest.mark.parametrize("layer", ["projects", "livelihood"])
def test_our_own_downloads_import_as_updates(
    city, staff_client, project_factory, livelihood_factory, layer, fmt
):
    project_factory(
        name="索通盛源碳材料项目",
        geom="POLYGON((98.30 39.80, 98.31 39.80, 98.31 39.81, 98.30 39.81, 98.30 39.80))",
    )
    project_factory(name="甬金金融科技")
    livelihood_factory(name="地下管网改造")
    response = staff_client.get(f"/api/v1/{layer}.{fmt}")
    content = b"".join(response.streaming_content) if fmt == "geojson" else response.content
    report = run(content, layer=layer)
    expected = Project.objects.count() if layer == "projects" else LivelihoodWork.objects.count()
    assert report.counts == {"created": 0, "updated": expected, "rejected": 0}, report.rows


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [
    (None, 302), ("department_staff", 403), ("leaders", 403), ("urban_management", 403),
    ("project_office", 200),
])
def test_import_page_is_for_the_project_office(client, user_factory, role, status):
    if role:
        client.force_login(user_factory(role))
    response = client.get("/staff/import/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_import_page_check_then_commit(client, office, city, department, leader):
    client.force_login(office)
    upload = io.BytesIO(csv_bytes("P9,大唐路改造,urban,new,fgw,王副市长,100,50,98.28,39.79"))
    upload.name = "projects.csv"
    response = client.post("/staff/import/", {"action": "check", "layer": "projects",
                                              "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-report"' in html
    assert Project.objects.count() == 0
    token = response.context["token"]
    response = client.post("/staff/import/", {"action": "commit", "token": token,
                                              "layer": "projects"})
    assert response.status_code == 200
    assert response.context["report"].committed
    assert Project.objects.get(code="P9").name == "大唐路改造"
    # The token is used up.
    again = client.post("/staff/import/", {"action": "commit", "token": token})
    assert again.status_code == 400
    assert Project.objects.count() == 1


@pytest.mark.django_db
def test_import_page_rejects_a_renamed_png(client, office, city):
    client.force_login(office)
    upload = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    upload.name = "projects.csv"
    response = client.post("/staff/import/", {"action": "check", "layer": "projects",
                                              "file": upload})
    assert response.status_code == 400
    assert "PNG" in response.context["error"]
    assert Project.objects.count() == 0


@pytest.mark.django_db
def test_import_page_token_of_another_user_is_refused(client, user_factory, city, department,
                                                      leader):
    first, second = user_factory("project_office"), user_factory("project_office")
    client.force_login(first)
    upload = io.BytesIO(csv_bytes("P9,项目,urban,new,fgw,王副市长,100,50,98.28,39.79"))
    upload.name = "p.csv"
    token = client.post("/staff/import/", {"layer": "projects", "file": upload}).context["token"]
    client.force_login(second)
    response = client.post("/staff/import/", {"action": "commit", "token": token})
    assert response.status_code == 400
    assert Project.objects.count() == 0


@pytest.mark.django_db
def test_command_dry_run_and_commit(tmp_path, city, department, leader, office, capsys):
    path = tmp_path / "projects.csv"
    path.write_bytes(csv_bytes("P5,市二中教学楼,social,new,fgw,王副市长,100,50,98.28,39.79"))
    call_command("import_sites", str(path), "--layer", "projects")
    assert "row     2  P5" in capsys.readouterr().out
    assert Project.objects.count() == 0
    call_command("import_sites", str(path), "--layer", "projects", "--commit",
                 "--user", office.username)
    assert "1 to create, 0 to update, 0 rejected (written)." in capsys.readouterr().out
    assert Project.objects.get(code="P5").history.first().history_user == office


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/vsicurl/http://example.invalid/a.csv", "http://x/a.csv",
                                  "/nonexistent/a.csv"])
def test_command_refuses_urls_and_missing_files(path):
    with pytest.raises(CommandError):
        call_command("import_sites", path, "--layer", "projects")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_page_in_the_browser(page, live_server, login, office, city, department, leader,
                                    tmp_path):
    path = tmp_path / "projects.csv"
    path.write_bytes(csv_bytes("P7,五一路小学教学楼,social,new,fgw,王副市长,100,50,98.28,39.79",
                               "P8,错误项目,social,new,fgw,王副市长,-1,50,98.28,39.79"))
    login(office)
    page.goto(f"{live_server.url}/staff/import/")
    # Labelled controls, reachable by their labels.
    page.locator("#import-layer").select_option("projects")
    page.locator("#import-file").set_input_files(str(path))
    page.locator("form.import-form button[type=submit]").click()
    report = page.locator("#import-report")
    report.wait_for()
    assert report.locator("tbody tr").count() == 2
    assert "import-rejected" in report.locator("tbody tr").nth(1).get_attribute("class")
    assert page.locator("#import-confirm").count() == 0  # a rejected row: no import button
    path.write_bytes(csv_bytes("P7,五一路小学教学楼,social,new,fgw,王副市长,100,50,98.28,39.79"))
    page.locator("#import-file").set_input_files(str(path))
    page.locator("form.import-form button[type=submit]").click()
    page.locator("#import-confirm button").click()
    page.locator("#import-done").wait_for()
    assert Project.objects.get(code="P7").name == "五一路小学教学楼"


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), [
    (b'{"type": "Topology", "objects": {}}',
     "该文件不是 GeoJSON 要素集合（FeatureCollection），请从地图或 GIS 重新导出为 GeoJSON。"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
     b'"properties": {"name": "x"}}]}',
     "文件中没有“code”（编号）列；每一行都需要项目编号。"),
])
def test_import_page_geojson_refusals_in_chinese(client, office, city, data, message):
    client.force_login(office)
    upload = io.BytesIO(data)
    upload.name = "projects.geojson"
    response = client.post("/staff/import/", {"action": "check", "layer": "projects",
                                              "file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert message in response.context["error"]
    assert "GeoPackage/Shapefile" not in response.context["error"]


@pytest.mark.django_db
def test_import_page_explains_the_columns(client, office):
    client.force_login(office)
    html = client.get("/staff/import/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'accept=".csv,.xlsx,.geojson,.json,.gpkg,.zip"' in html
    for column in [*importers.COLUMNS["projects"], *importers.COLUMNS["livelihood"]]:
        # The Chinese name the page shows is a header the reader accepts for that column.
        assert importers.ALIASES.get(column.chinese) == column.name, column
        assert f'<tr data-column="{column.name}">' in html
    assert '<tr data-column="leader">\n                <th scope="row">包抓领导</th>' in html
    required = {c.name for c in importers.COLUMNS["projects"] if c.required}
    assert required == {"code", "name", "category", "build_type", "lead_department", "leader",
                        "total_investment", "planned_investment_year"}


@pytest.mark.django_db
def test_import_page_after_commit_links_the_queue(client, office, city, department, leader):
    client.force_login(office)
    upload = io.BytesIO(csv_bytes("P9,待落图项目,urban,new,fgw,王副市长,100,50,,"))
    upload.name = "projects.csv"
    token = client.post("/staff/import/", {"action": "check", "layer": "projects",
                                           "file": upload}).context["token"]
    response = client.post("/staff/import/", {"action": "commit", "token": token,
                                              "layer": "projects"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "1 个项目尚未落图。" in html
    assert 'href="/staff/projects/unplaced/" id="import-to-queue"' in html
