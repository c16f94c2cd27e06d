"""The printable battle map (挂图作战): one self-contained folium HTML file a leader opens offline.

folium's default page pulls Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; here every
default asset is dropped and the vendored Leaflet 1.9.4 is inlined (its CSS images as data
URIs), so the file names no outside host. The one ``http://www.w3.org/2000/svg`` left inside
Leaflet is the SVG XML namespace, an identifier that is never fetched. No basemap: tiles would
need the network.

The features are the same GeoJSON as the API for this audience (public fields for anonymous).
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from pathlib import Path

import folium
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from sites import lights, selectors

LEAFLET_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "leaflet-1.9.4"
STAGE_COLORS = {
    "preparation": "#6b7785",
    "construction": "#e8710a",
    "completed": "#1a62c9",
    "operating": "#188038",
    "suspended": "#b3261e",
}
LIGHT_COLORS = {lights.GREEN: "#188038", lights.YELLOW: "#f9ab00", lights.RED: "#b3261e"}
# The same palette as static/js/map.js, so the printed map reads like the live one.
MILESTONE_COLORS = {
    selectors.ON_TIME: "#188038", selectors.LATE: "#f9ab00", selectors.DONE: "#1a62c9"
}
LIVELIHOOD_COLOR = "#8e24aa"


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS as text to inline: comments with links removed, images embedded."""
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    # The attribution prefix links to leafletjs.com; the printed map needs no outside link.
    js = js.replace('<a href="https://leafletjs.com" title="A JavaScript library for '
                    'interactive maps">', "<span>").replace("Leaflet</a>", "Leaflet</span>")
    js = re.sub(r"https://leafletjs\.com", "", js)
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)

    def embed(match: re.Match) -> str:
        data = (LEAFLET_DIR / match[1]).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode()})"

    css = re.sub(r"url\((images/[a-z0-9-]+\.png)\)", embed, css)
    return js, css


def _escape_script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def _project_popup_rows(p: dict, staff: bool) -> list[tuple[str, str]]:
    rows = [
        (_("Code"), p["code"]),
        (_("Stage"), p["stage_label"]),
        (_("Lead department"), p["lead_department"]),
        (_("Planned start"), p.get("planned_start") or "—"),
        (_("Actual start"), p.get("actual_start") or "—"),
        (_("Planned end"), p.get("planned_end") or "—"),
        (_("Physical progress"), f"{p['percent_complete']}%"),
    ]
    if staff:
        rows += [
            (_("Responsible leader"), p["leader"]),
            (_("Completed this year (万元)"),
             f"{p['completed_investment_year']} / {p['planned_investment_year']}"),
            (_("Status light"), p["light_label"]),
            (_("Reasons"), "；".join(r["text"] for r in p["light_reasons"]) or "—"),
        ]
    return rows


def _popup_html(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<strong>{html.escape(title)}</strong><table class='bm-popup'>{body}</table>"


def _add_features(group, features: list[dict], color_of, popup_of) -> None:
    for feature in features:
        color = color_of(feature["properties"])
        popup = folium.Popup(popup_of(feature["properties"]), max_width=360)
        if feature["geometry"]["type"] == "Point":
            lon, lat = feature["geometry"]["coordinates"]
            folium.CircleMarker(
                location=(lat, lon), radius=8, color="#1b1f24", weight=1,
                fill=True, fill_color=color, fill_opacity=0.9, popup=popup,
                tooltip=feature["properties"]["name"],
            ).add_to(group)
        else:
            folium.GeoJson(
                feature,
                style_function=lambda _f, c=color: {"color": c, "weight": 4, "fillOpacity": 0.35},
                popup=popup, tooltip=feature["properties"]["name"],
            ).add_to(group)


def _legend(staff: bool) -> str:
    if staff:
        items = [(LIGHT_COLORS[k], str(lights.LIGHT_LABELS[k])) for k in lights.LIGHTS]
        title = _("Key projects: status light")
    else:
        from sites.models import Stage

        labels = dict(Stage.choices)
        items = [(c, str(labels[k])) for k, c in STAGE_COLORS.items()]
        title = _("Key projects: stage")
    rows = "".join(
        f"<li><span style='background:{c}'></span>{html.escape(label)}</li>" for c, label in items
    )
    return (
        "<div class='bm-legend' role='region' aria-label='" + html.escape(_("Legend")) + "'>"
        f"<strong>{html.escape(title)}</strong><ul>{rows}"
        f"<li><span style='background:{LIVELIHOOD_COLOR}'></span>"
        f"{html.escape(_('Livelihood works'))}</li></ul></div>"
    )


def _extent(features: list[dict]) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of the features' coordinates, or None when there are none."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for feat in features:
        walk(feat["geometry"]["coordinates"])
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


CSS = """
html, body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; }
.bm-title { position: absolute; z-index: 1000; top: 8px; left: 50px; right: 8px;
  background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px; }
.bm-title h1 { font-size: 18px; margin: 0; } .bm-title p { margin: 2px 0 0; font-size: 13px; }
.bm-legend { position: absolute; z-index: 1000; bottom: 16px; left: 8px; background: #fff;
  padding: 6px 10px; border-radius: 4px; font-size: 13px; box-shadow: 0 1px 4px #0004; }
.bm-legend ul { list-style: none; margin: 4px 0 0; padding: 0; }
.bm-legend span { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  margin-right: 6px; vertical-align: middle; border: 1px solid #1b1f24; }
.bm-popup th { text-align: left; padding-right: 8px; color: #4a5360; font-weight: 400; }
.leaflet-container { background: #eef0f3; }
@media print { .leaflet-control-container { display: none; } }
"""


def battle_map_html(f: selectors.SiteFilters, *, staff: bool) -> str:
    """The filtered projects (and livelihood works in the same area) as one HTML document."""
    projects = json.loads(selectors.projects_geojson(f, staff=staff))["features"]
    # Livelihood works follow the filters the two layers share (area, department, leader…).
    common = selectors.SiteFilters(bbox=f.bbox, department=f.department, district=f.district,
                                   leader=f.leader, q=f.q, as_of=f.as_of)
    works = json.loads(selectors.livelihood_geojson(common, staff=staff))["features"]

    fmap = folium.Map(location=settings.MAP_CENTER, zoom_start=13, tiles=None,
                      control_scale=True, prefer_canvas=False)
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet_assets()
    root = fmap.get_root()
    root.header.add_child(folium.Element(f"<style>{css}{CSS}</style>"), name="bm_css")
    root.header.add_child(folium.Element(f"<script>{_escape_script(js)}</script>"),
                          name="bm_leaflet")

    project_layer = folium.FeatureGroup(name=_("Key projects"))
    work_layer = folium.FeatureGroup(name=_("Livelihood works"))
    if staff:
        def project_color(p):
            return LIGHT_COLORS.get(p["light"], "#555f6b")
    else:
        def project_color(p):
            return STAGE_COLORS.get(p["stage"], "#555f6b")
    _add_features(project_layer, projects, project_color,
                  lambda p: _popup_html(p["name"], _project_popup_rows(p, staff)))

    def work_rows(p):
        rows = [(_("Code"), p["code"]), (_("Status"), p["status_label"]),
                (_("Lead department"), p["lead_department"]),
                (_("Physical progress"), f"{p['percent_complete']}%"),
                (_("Next milestone"), p.get("next_milestone") or "—")]
        if staff:
            rows.append((_("Milestone progress"), p["milestone_light_label"]))
        return rows

    _add_features(work_layer, works,
                  lambda p: MILESTONE_COLORS.get(p.get("milestone_light"), LIVELIHOOD_COLOR)
                  if staff else LIVELIHOOD_COLOR,
                  lambda p: _popup_html(p["name"], work_rows(p)))
    project_layer.add_to(fmap)
    work_layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    minx, miny, maxx, maxy = _extent(projects + works) or settings.CITY_BBOX
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    ref = lights.reference_date(f.as_of)
    subtitle = _("%(count)s key projects, %(works)s livelihood works · as of %(date)s") % {
        "count": len(projects), "works": len(works), "date": ref.isoformat()}
    printed = _("Printed %(when)s") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    fmap.get_root().html.add_child(folium.Element(
        f"<div class='bm-title'><h1>{html.escape(_('Key projects battle map'))}</h1>"
        f"<p>{html.escape(subtitle)} · {html.escape(printed)}</p></div>" + _legend(staff)
    ))
    return root.render()
