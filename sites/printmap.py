"""The printable battle map (挂图作战): one self-contained folium HTML file a leader opens offline.

folium's default page pulls Leaflet, jQuery, Bootstrap and Font Awesome from CDNs, and its
popups are built with jQuery (``$(`...`)[0]``). Here every default asset is dropped, the vendored
Leaflet 1.9.4 is inlined (its CSS images as data URIs), and the features are drawn by plain
Leaflet code (one ``L.geoJSON`` per layer, popups as HTML strings), so the file needs nothing
but Leaflet and names no outside host. The one ``http://www.w3.org/2000/svg`` left inside
Leaflet is the SVG XML namespace, an identifier that is never fetched. No basemap: tiles would
need the network.

The features are the same GeoJSON as the API for this audience (public fields for anonymous).
The page exposes what it drew as ``window.battleMap`` (``count``, ``counts``) and as
``data-drawn`` on the map element, for the browser tests.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import folium
from branca.element import Figure, MacroElement
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from folium.template import Template

from geo import numbers
from geo.context_layers import context_geojson
from geo.models import Department, District, Leader
from sites import layers, lights, selectors
from sites.models import BuildType, Programme, ProjectCategory, Stage

LEAFLET_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "leaflet-1.9.4"
STAGE_COLORS = {
    "preparation": "#6b7785",
    "construction": "#e8710a",
    "completed": "#1a62c9",
    "operating": "#188038",
    "suspended": "#b3261e",
}
LIGHT_COLORS = {lights.GREEN: "#188038", lights.YELLOW: "#f9ab00", lights.RED: "#b3261e"}
# A light is never told by colour alone (a grey printer, a colour-blind reader): each has its own
# outline — solid, dashed, dotted, as the rings of the live staff map — and the legend's symbol.
LIGHT_DASHES = {lights.GREEN: "", lights.YELLOW: "4 3", lights.RED: "1.5 2.5"}
LIGHT_BORDERS = {lights.GREEN: "solid", lights.YELLOW: "dashed", lights.RED: "dotted"}
LIGHT_SYMBOLS = {lights.GREEN: "✓", lights.YELLOW: "!", lights.RED: "✕"}
# The same palette as static/js/map.js, so the printed map reads like the live one.
MILESTONE_COLORS = {
    selectors.ON_TIME: "#188038", selectors.LATE: "#f9ab00", selectors.DONE: "#1a62c9"
}
# A work's progress is not told by colour alone either: late is dashed, done dotted, and the
# legend gives the live map's symbols.
MILESTONE_DASHES = {selectors.ON_TIME: "", selectors.LATE: "6 3", selectors.DONE: "1 4"}
MILESTONE_BORDERS = {selectors.ON_TIME: "solid", selectors.LATE: "dashed",
                     selectors.DONE: "dotted"}
MILESTONE_SYMBOLS = {selectors.ON_TIME: "✓", selectors.LATE: "!", selectors.DONE: "◆"}
LIVELIHOOD_COLOR = "#8e24aa"
UNKNOWN_COLOR = "#555f6b"


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


def _js_value(value) -> str:
    """``value`` as a JSON literal safe inside <script> (no "</", "<!--" or U+2028/9)."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- popups ---------------------------------------------------------------------------------


def _project_popup_rows(p: dict, staff: bool) -> list[tuple[str, str]]:
    rows = [
        (_("Code"), p["code"]),
        (_("Stage"), p["stage_label"]),
        (_("Lead department"), p["lead_department"]),
        (_("Planned start"), p.get("planned_start") or "—"),
        (_("Actual start"), p.get("actual_start") or "—"),
        (_("Planned end"), p.get("planned_end") or "—"),
        (_("Physical progress"), numbers.percent(p["percent_complete"])),
    ]
    if staff:
        rows += [
            (_("Responsible leader"), p["leader"]),
            # Money as a leader reads it: "2.9 亿元 / 7.0 亿元" (geo.numbers), not raw 万元.
            (_("Completed this year"),
             numbers.money_of(p["completed_investment_year"], p["planned_investment_year"])),
            (_("Status light"), p["light_label"]),
        ]
    return rows


def _reasons_html(p: dict) -> str:
    """The light's reasons as a list (each with its rule code and light), or "on track"."""
    items = "".join(
        f"<li data-code='{html.escape(r['code'])}' data-light='{html.escape(r['light'])}'>"
        f"{html.escape(r['text'])}</li>"
        for r in p.get("light_reasons") or []
    )
    if not items:
        items = f"<li data-code='none'>{html.escape(_('On track: no rule is triggered.'))}</li>"
    heading = html.escape(_("Reasons"))
    return f"<p class='bm-reasons-title'>{heading}</p><ul class='bm-reasons'>{items}</ul>"


def _popup_html(title: str, rows: list[tuple[str, str]], extra: str = "") -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<strong>{html.escape(title)}</strong><table class='bm-popup'>{body}</table>{extra}"


def _work_popup_rows(p: dict, staff: bool) -> list[tuple[str, str]]:
    rows = [(_("Code"), p["code"]), (_("Status"), p["status_label"]),
            (_("Lead department"), p["lead_department"]),
            (_("Physical progress"), numbers.percent(p["percent_complete"])),
            (_("Next milestone"), p.get("next_milestone") or "—")]
    if staff:
        rows.append((_("Milestone progress"), p["milestone_light_label"]))
    return rows


def _placed(features: list[dict]) -> list[dict]:
    """The features the map draws (those with a geometry), as ``_drawn`` keeps them."""
    return [feature for feature in features if feature.get("geometry")]


def _feature_table(projects: list[dict], works: list[dict], staff: bool) -> str:
    """Every drawn feature as a table (issue 16: a keyboard way to what the map shows).

    Collapsed under the title on screen (one line above the map), in the same filters as the
    map, a light written in words; it prints only when opened.
    """
    columns = [_("Name"), _("Layer"), _("Stage or status"), _("Lead department")]
    if staff:
        columns.append(_("Status light"))
    rows = []
    for layer, features, state, light in (
        (_("Key projects"), projects, "stage_label", "light_label"),
        (_("Livelihood works"), works, "status_label", "milestone_light_label"),
    ):
        for feature in features:
            p = feature["properties"]
            cells = [p.get("name") or p.get("code"), layer, p.get(state) or "—",
                     p.get("lead_department") or "—"]
            if staff:
                cells.append(p.get(light) or "—")
            body = "".join(f"<td>{html.escape(str(value))}</td>" for value in cells[1:])
            rows.append(f"<tr><th scope='row'>{html.escape(str(cells[0]))}</th>{body}</tr>")
    head = "".join(f"<th scope='col'>{html.escape(str(name))}</th>" for name in columns)
    summary = _("Features on this map (%(count)s): a table") % {"count": len(rows)}
    return (
        f"<details class='bm-features'><summary>{html.escape(summary)}</summary>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


# --- features as plain Leaflet --------------------------------------------------------------


class PlainGeoJson(MacroElement):
    """One ``L.geoJSON`` layer drawn into its parent (a FeatureGroup) with no jQuery.

    Each feature carries only what is drawn: its geometry, colour, tooltip and popup HTML (both
    escaped). Projects are drawn "solid" (the colour fills dots and areas, thin dark outline);
    livelihood works as "outline" (the colour rings points and outlines areas), so a green
    project and a green work stay apart on paper. Lines take the colour either way.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
            pointToLayer: function (feature, latlng) {
                return L.circleMarker(latlng, {radius: 8});
            },
            style: function (feature) {
                var c = feature.properties.color, type = feature.geometry.type;
                var css = {{ this.css_class }};
                if (/LineString/.test(type)) {
                    return {color: c, weight: 5, opacity: 0.9, className: css};
                }
                var point = /Point/.test(type);
                {%- if this.outline %}
                return {color: c, weight: point ? 4 : 3, fillColor: point ? "#fff" : c,
                        dashArray: feature.properties.dash || null,
                        fillOpacity: point ? 0.9 : 0.15, className: css};
                {%- else %}
                var dash = feature.properties.dash;
                return {color: "#1b1f24", weight: dash === undefined ? 1 : 2.5,
                        dashArray: dash || null, fillColor: c,
                        fillOpacity: point ? 0.9 : 0.7, className: css};
                {%- endif %}
            },
            onEachFeature: function (feature, layer) {
                var width = Math.max(200, Math.min(360, window.innerWidth - 60));
                // Keep the opened popup clear of the zoom and layer controls.
                layer.bindPopup(feature.properties.popup, {
                    maxWidth: width, autoPanPaddingTopLeft: [10, 80], autoPanPadding: [10, 10]
                });
                layer.bindTooltip(feature.properties.tooltip);
            }
        }).addTo({{ this._parent.get_name() }});
        window.battleMap.counts[{{ this.key }}] = {{ this.get_name() }}.getLayers().length;
        window.battleMap.layers.push({{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, key: str, features: list[dict], *, outline: bool = False):
        super().__init__()
        self._name = "PlainGeoJson"
        self.key = json.dumps(key)
        self.outline = outline
        self.css_class = json.dumps(f"bm-feature bm-{key}")
        self.data = _js_value({"type": "FeatureCollection", "features": features})


class ContextLayers(MacroElement):
    """The city, districts (with their names), river and main roads, under the features.

    The same collection as ``/api/v1/context/`` (simplified), drawn into a pane below the
    overlays, taking no clicks; the district names are text labels (escaped here).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            map.createPane("bmContext").style.zIndex = "250";
            var labels = map.createPane("bmContextLabels");
            labels.style.zIndex = "260";
            // Names placed on the drawing, for the eye; the legend and popups carry the text.
            labels.setAttribute("aria-hidden", "true");
            var styles = {
                city: {color: "#5f636c", weight: 2.5, fillColor: "#f7f5ef", fillOpacity: 1},
                district: {color: "#8a8f98", weight: 1.2, dashArray: "5 4", fill: false},
                river: {color: "#7fb2e5", weight: 5, opacity: 0.9, fillColor: "#a9cdf0",
                        fillOpacity: 0.9},
                main_road: {color: "#ffffff", weight: 4, opacity: 1}
            };
            var data = {{ this.data }};
            var roads = data.features.filter(function (f) {
                return f.properties.layer === "main_road";
            });
            var options = {pane: "bmContext", interactive: false};
            L.geoJSON(roads, L.extend({}, options, {style: function () {
                return {color: "#b7bcc4", weight: 6, className: "bm-context bm-context-casing"};
            }})).addTo(map);
            var drawn = L.geoJSON(data, L.extend({}, options, {style: function (f) {
                return L.extend({className: "bm-context bm-context-" + f.properties.layer},
                                styles[f.properties.layer] || styles.main_road);
            }})).addTo(map);
            // District names large; main roads and the river by name in a smaller face, on
            // one of their vertices, as the web maps (static/js/basemap.js) write them. Paper
            // has no zoom, so the road names are always shown.
            var classes = {district: "bm-context-label",
                           main_road: "bm-context-label bm-context-line-label bm-road-label",
                           river: "bm-context-label bm-context-line-label bm-river-label"};
            // A line's name along its longest part, halfway first (degrees, good enough at a
            // city's size): the label point of /api/v1/context/ is one of its vertices, and two
            // roads leaving one crossing put their names on top of each other there. A name that
            // would overlap one already placed tries other points along its line.
            function along(geometry, fraction) {
                if (geometry.type !== "MultiLineString") return null;
                var best = null, bestLength = -1;
                geometry.coordinates.forEach(function (part) {
                    var steps = [], total = 0;
                    for (var i = 1; i < part.length; i++) {
                        var step = Math.hypot(part[i][0] - part[i - 1][0],
                                              part[i][1] - part[i - 1][1]);
                        steps.push(step);
                        total += step;
                    }
                    if (total <= bestLength) return;
                    bestLength = total;
                    var left = total * fraction;
                    for (var j = 0; j < steps.length; j++) {
                        if (left <= steps[j] || j === steps.length - 1) {
                            var t = steps[j] ? Math.min(1, left / steps[j]) : 0;
                            best = [part[j][0] + t * (part[j + 1][0] - part[j][0]),
                                    part[j][1] + t * (part[j + 1][1] - part[j][1])];
                            break;
                        }
                        left -= steps[j];
                    }
                });
                return best;
            }
            var placed = [], markers = [];
            function overlaps(box) {
                return placed.some(function (other) {
                    return box.left < other.right && other.left < box.right &&
                        box.top < other.bottom && other.top < box.bottom;
                });
            }
            // Placed once the map has its final view (the file fits its bounds after this
            // script), and again at each zoom: overlaps are measured on screen.
            function placeLabels() {
            markers.forEach(function (m) { m.remove(); });
            placed = [];
            markers = [];
            data.features.forEach(function (f) {
                var className = classes[f.properties.layer];
                if (!className || !f.properties.label) return;
                var line = f.properties.layer !== "district";
                var tries = line ? [0.5, 0.3, 0.7, 0.2, 0.8] : [null];
                var marker = null, box = null, free = false;
                for (var k = 0; k < tries.length && !free; k++) {
                    var at = (line && along(f.geometry, tries[k])) || f.properties.label;
                    if (marker) marker.remove();
                    marker = L.marker([at[1], at[0]], {
                        pane: "bmContextLabels", interactive: false, keyboard: false,
                        icon: L.divIcon({className: className, iconSize: null,
                                         html: "<span>" + f.properties.html + "</span>"})
                    }).addTo(map);
                    box = marker.getElement().firstChild.getBoundingClientRect();
                    free = !overlaps(box);
                }
                // A line's name with no free place (a phone's small map) is left out: better
                // one name missing than two unreadable. District names always stay.
                if (!free && line) {
                    marker.remove();
                } else {
                    placed.push(box);
                    markers.push(marker);
                }
            });
            }
            map.on("zoomend", placeLabels);
            setTimeout(placeLabels, 0);
            window.battleMap.context = drawn.getLayers().length;
            // A plain-text credit, as on the live maps: Leaflet's default carries a flag emblem.
            if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ContextLayers"
        collection = json.loads(context_geojson())
        for feature in collection["features"]:
            feature["properties"]["html"] = html.escape(feature["properties"]["name"])
        self.layers = {feature["properties"]["layer"] for feature in collection["features"]}
        self.data = _js_value(collection)


class BattleMapControls(MacroElement):
    """The metric scale and the legend, both Leaflet controls in the bottom-left corner.

    Leaflet stacks controls of one corner (a later bottom control goes above the earlier one),
    so the legend sits on top of the scale bar instead of over it. Also frames the features and
    publishes how many were drawn.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "bm-legend");
                div.setAttribute("role", "region");
                div.setAttribute("aria-label", {{ this.label }});
                div.innerHTML = {{ this.legend }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            // Frame what was drawn (the city when nothing was), without a zoom animation: a
            // leader may print at once, and a print taken mid-animation is scaled wrongly.
            var bounds = L.featureGroup(window.battleMap.layers).getBounds();
            if (!bounds.isValid()) bounds = L.latLngBounds({{ this.fallback }});
            map.fitBounds(bounds, {padding: [16, 16], maxZoom: 16, animate: false});
            var counts = window.battleMap.counts, total = 0;
            for (var key in counts) total += counts[key];
            window.battleMap.count = total;
            window.battleMap.map = map;
            map.getContainer().setAttribute("data-drawn", String(total));
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, legend: str):
        super().__init__()
        self._name = "BattleMapControls"
        minx, miny, maxx, maxy = settings.CITY_BBOX
        self.fallback = json.dumps([[miny, minx], [maxy, maxx]])
        self.label = _js_value(_("Legend"))
        self.legend = _js_value(legend)


def _legend_group(title: str | None, items: list[tuple], *, outline: bool = False) -> str:
    """Rows of (colour, label) or (colour, label, border style, symbol), drawn as the features:
    a filled dot, or a coloured ring (outline); a light's dot has its outline and symbol."""
    style = "border-color:{};background:#fff" if outline else "background:{}"
    rows = "".join(
        f"<li><span class='bm-swatch{' bm-ring' if outline else ''}{' bm-lit' if rest else ''}' "
        f"style='{style.format(c)}{f';border-style:{rest[0]}' if rest else ''}'></span>"
        + (f"<span class='bm-symbol' style='color:{c}' aria-hidden='true'>{rest[1]}</span>"
           if rest else "")
        + f"{html.escape(label)}</li>"
        for c, label, *rest in items
    )
    if title is None:
        return f"<ul class='bm-legend-more'>{rows}</ul>"
    return f"<p class='bm-legend-title'>{html.escape(title)}</p><ul>{rows}</ul>"


def _context_legend(layers: set[str]) -> str:
    """The rows of the context layers drawn (``layers``), with the live maps' swatches."""
    rows = [
        ("city", "bm-ctx-city", _("City boundary")),
        ("district", "bm-ctx-district", _("District boundary")),
        ("river", "bm-ctx-river", _("River")),
        ("main_road", "bm-ctx-road", _("Main road")),
    ]
    items = "".join(
        f"<li><span class='bm-ctx {css}'></span>{html.escape(str(label))}</li>"
        for layer, css, label in rows
        if layer in layers
    )
    if not items:
        return ""
    return f"<p class='bm-legend-title'>{html.escape(_('Map context'))}</p><ul>{items}</ul>"


def _legend(staff: bool, context_layers: set[str]) -> str:
    """What each colour means: projects by light (staff) or stage (public); works likewise."""
    if staff:
        projects = _legend_group(
            _("Key projects: status light"),
            [(LIGHT_COLORS[k], str(lights.LIGHT_LABELS[k]), LIGHT_BORDERS[k], LIGHT_SYMBOLS[k])
             for k in lights.LIGHTS],
        )
        labels = selectors.milestone_light_labels()
        works = _legend_group(
            _("Livelihood works: milestone progress"),
            [(MILESTONE_COLORS[k], str(labels[k]), MILESTONE_BORDERS[k], MILESTONE_SYMBOLS[k])
             for k in selectors.MILESTONE_LIGHTS],
            outline=True,
        )
    else:
        stage_labels = dict(Stage.choices)
        projects = _legend_group(
            _("Key projects: stage"),
            [(c, str(stage_labels[k])) for k, c in STAGE_COLORS.items()],
        )
        # One colour for every work: a row of its own, no heading repeating the same words.
        works = _legend_group(None, [(LIVELIHOOD_COLOR, _("Livelihood works"))], outline=True)
    return projects + works + _context_legend(context_layers)


# --- the page -------------------------------------------------------------------------------


def _drawn(features: list[dict], color_of, popup_of, dash_of=None) -> list[dict]:
    """The features that have a geometry, each cut down to what the page draws."""
    drawn = []
    for feat in features:
        if not feat.get("geometry"):
            continue
        # Leaflet sets tooltip and popup strings as HTML: both are escaped here.
        props = {"tooltip": html.escape(feat["properties"]["name"]),
                 "color": color_of(feat["properties"]),
                 "popup": popup_of(feat["properties"])}
        if dash_of is not None:
            props["dash"] = dash_of(feat["properties"])
        drawn.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
    return drawn


def _filter_summary(filters: selectors.SiteFilters, staff: bool,
                    works: selectors.SiteFilters | None = None) -> str:
    """The filters of the view in words ("Lead department: 交通局 · Stage: 在建"), or ""."""

    def names(model, field, values):
        return [str(n) for n in model.objects.filter(**{f"{field}__in": values})
                .values_list("name", flat=True)]

    parts: list[tuple[str, list[str]]] = [
        (_("Lead department"), names(Department, "code", filters.department)),
        (_("District"), names(District, "code", filters.district)),
        (_("Stage"), [str(dict(Stage.choices).get(v, v)) for v in filters.stage]),
        (_("Build type"), [str(dict(BuildType.choices).get(v, v)) for v in filters.build_type]),
        (_("Category"), [str(dict(ProjectCategory.choices).get(v, v)) for v in filters.category]),
    ]
    if staff:
        parts += [
            (_("Responsible leader"), names(Leader, "pk", filters.leader)),
            (_("Status light"), [str(lights.LIGHT_LABELS.get(v, v)) for v in filters.light]),
        ]
    if works is not None:
        parts.append((_("Programme"), [str(dict(Programme.choices).get(v, v))
                                       for v in works.programme]))
        if staff:
            labels = selectors.milestone_light_labels()
            parts.append((_("Milestone progress"), [str(labels.get(v, v)) for v in works.light]))
    if filters.q:
        parts.append((_("Search"), [filters.q]))
    return " · ".join(_("%(label)s: %(values)s") % {"label": label, "values": "、".join(values)}
                      for label, values in parts if values)


CSS = """
html, body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
  sans-serif; color: #1b1f24; }
body { display: flex; flex-direction: column; }
/* The page's content sits in <main> (one landmark, for screen readers): it keeps the column. */
body > main { display: flex; flex-direction: column; flex: 1 1 auto; min-height: 0; }
.bm-title { flex: none; padding: 8px 12px; border-bottom: 1px solid #d5d9df; background: #fff; }
.bm-title h1 { font-size: 18px; margin: 0; line-height: 1.3; }
.bm-title p { margin: 2px 0 0; font-size: 13px; color: #4a5360; }
.bm-features { font-size: 13px; margin-top: 2px; }
.bm-features[open] { max-height: 40vh; overflow: auto; }
.bm-features table { border-collapse: collapse; margin-top: 4px; }
.bm-features th, .bm-features td { text-align: left; padding: 2px 8px 2px 0;
  border-bottom: 1px solid #e3e6ea; font-weight: normal; }
.bm-features thead th { font-weight: 600; }
.folium-map { flex: 1 1 auto; height: auto !important; min-height: 0; }
.bm-legend { background: #fff; padding: 6px 10px; border-radius: 4px; font-size: 13px;
  line-height: 1.4; box-shadow: 0 1px 4px #0004; max-width: 16rem; }
.bm-legend-title { font-weight: 600; margin: 0; }
.bm-legend-title + ul + .bm-legend-title, .bm-legend-more { margin-top: 6px !important; }
.bm-legend ul { list-style: none; margin: 2px 0 0; padding: 0; }
.bm-swatch { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  margin-right: 6px; vertical-align: -1px; border: 1px solid #1b1f24; box-sizing: border-box; }
.bm-swatch.bm-ring { border-width: 3px; border-style: solid; }
.bm-swatch.bm-lit { border-width: 2px; border-color: #1b1f24; }
.bm-symbol { display: inline-block; width: 1em; margin-right: 4px; font-weight: 700;
  text-align: center; }
.bm-popup th { text-align: left; padding-right: 8px; color: #4a5360; font-weight: 400;
  vertical-align: top; }
.leaflet-popup-content { font-size: 13px; line-height: 1.45; }
.leaflet-popup-content .bm-reasons-title { margin: 6px 0 0; color: #4a5360; }
.bm-reasons { margin: 2px 0 0; padding-left: 1.2em; }
.bm-reasons li[data-light=red] { color: #b3261e; }
.leaflet-container { background: #e3e6ea; font-family: inherit; }
.bm-ctx { display: inline-block; width: 14px; height: 10px; margin-right: 6px;
  vertical-align: 0; box-sizing: border-box; }
.bm-ctx-city { background: #f7f5ef; border: 2px solid #5f636c; }
.bm-ctx-district { border: 1px dashed #8a8f98; }
.bm-ctx-river { height: 4px; background: #7fb2e5; vertical-align: 2px; }
.bm-ctx-road { height: 5px; background: #fff; border: 1px solid #b7bcc4; vertical-align: 2px; }
.leaflet-marker-icon.bm-context-label { background: none; border: 0; width: auto !important;
  height: auto !important; }
.bm-context-label span { display: block; transform: translate(-50%, -50%); white-space: nowrap;
  font-size: 14px; font-weight: 700; letter-spacing: 0.1em; color: #5f636c;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.bm-context-line-label span { font-size: 12px; font-weight: 400; letter-spacing: 0;
  color: #4a5360; }
.bm-river-label span { color: #2b5f94; font-style: italic; }
@media (max-width: 480px) {
  .bm-title h1 { font-size: 16px; } .bm-title p { font-size: 12px; }
  .bm-legend { font-size: 12px; padding: 4px 8px; }
}
@media print {
  .leaflet-control-zoom, .leaflet-control-layers { display: none; }
  .bm-legend { box-shadow: none; border: 1px solid #1b1f24; }
}
"""


# The map page's URL (and so the export link, static/js/map_filters.js) names the works'
# filters as the page does; the livelihood list takes them under these names. A work's light
# (on time / late / done) is ``milestone_light`` on the page, ``light`` in the list.
WORK_PARAMS = {"programme": "programme", "milestone_light": "light", "department": "department",
               "district": "district", "leader": "leader", "q": "q", "as_of": "as_of",
               "bbox": "bbox"}


def livelihood_params(params: Mapping[str, str]) -> dict[str, str]:
    """The livelihood list's query parameters within the map page's (or export's) query."""
    return {api: params[page] for page, api in WORK_PARAMS.items() if params.get(page)}


def battle_map_html(filters: selectors.SiteFilters, *, staff: bool,
                    works_filter: selectors.SiteFilters | None = None) -> str:
    """The filtered projects and livelihood works as one HTML document.

    ``works_filter`` defaults to the filters the two layers share (area, department, leader…).
    """
    projects = json.loads(layers.projects_geojson(filters, staff=staff))["features"]
    if works_filter is None:
        works_filter = selectors.SiteFilters(
            bbox=filters.bbox, department=filters.department, district=filters.district,
            leader=filters.leader, q=filters.q, as_of=filters.as_of,
        )
    works = json.loads(layers.livelihood_geojson(works_filter, staff=staff))["features"]

    title = _("Key projects battle map")
    figure = Figure(title=html.escape(title))
    # font_size: Leaflet's own 0.75rem; folium's 1rem makes the scale's label overflow its bar.
    fmap = folium.Map(location=settings.MAP_CENTER, zoom_start=13, tiles=None,
                      control_scale=False, prefer_canvas=False, font_size="0.75rem")
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    js, css = _leaflet_assets()
    figure.header.add_child(folium.Element(f"<style>{css}{CSS}</style>"), name="bm_css")
    figure.header.add_child(folium.Element(
        f"<script>{_escape_script(js)}</script>"
        "<script>window.battleMap = {counts: {}, layers: []};</script>"
    ), name="bm_leaflet")

    if staff:
        def project_color(p):
            return LIGHT_COLORS.get(p.get("light"), UNKNOWN_COLOR)

        def work_color(p):
            return MILESTONE_COLORS.get(p.get("milestone_light"), LIVELIHOOD_COLOR)
    else:
        def project_color(p):
            return STAGE_COLORS.get(p["stage"], UNKNOWN_COLOR)

        def work_color(_p):
            return LIVELIHOOD_COLOR

    drawn_projects = _drawn(
        projects, project_color,
        lambda p: _popup_html(
            p["name"], _project_popup_rows(p, staff), _reasons_html(p) if staff else ""),
        (lambda p: LIGHT_DASHES.get(p.get("light"), "")) if staff else None,
    )
    drawn_works = _drawn(works, work_color,
                         lambda p: _popup_html(p["name"], _work_popup_rows(p, staff)),
                         (lambda p: MILESTONE_DASHES.get(p.get("milestone_light"), ""))
                         if staff else None)

    context = ContextLayers().add_to(fmap)  # first: under the features
    project_layer = folium.FeatureGroup(name=_("Key projects"))
    PlainGeoJson("projects", drawn_projects).add_to(project_layer)
    work_layer = folium.FeatureGroup(name=_("Livelihood works"))
    PlainGeoJson("works", drawn_works, outline=True).add_to(work_layer)
    project_layer.add_to(fmap)
    work_layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    BattleMapControls(_legend(staff, context.layers)).add_to(fmap)

    ref = lights.reference_date(filters.as_of)
    subtitle = _("Key projects: %(count)s · livelihood works: %(works)s · data as of %(date)s") % {
        "count": len(drawn_projects), "works": len(drawn_works), "date": numbers.date(ref)}
    # Projects not yet placed (待落图) count in the KPIs but have no geometry to draw: say so,
    # or a leader comparing the map with the dashboard's totals finds projects missing.
    unplaced = selectors.projects_queryset(filters, staff=staff).filter(geom__isnull=True).count()
    if unplaced:
        subtitle += " · " + _("not yet placed (not on the map): %(count)s") % {"count": unplaced}
    now = timezone.localtime()
    printed = _("Printed %(when)s") % {"when": f"{numbers.date(now)} {now:%H:%M}"}
    lines = [f"<p class='bm-subtitle'>{html.escape(subtitle)} · {html.escape(printed)}</p>"]
    if summary := _filter_summary(filters, staff, works_filter):
        shown = _("Filters: %(filters)s") % {"filters": summary}
        lines.append(f"<p class='bm-filters'>{html.escape(shown)}</p>")
    # Before the map's own div (rendered later into the same body), so the heading sits above it.
    figure.html.add_child(folium.Element(
        f"<header class='bm-title'><h1>{html.escape(title)}</h1>{''.join(lines)}"
        f"{_feature_table(_placed(projects), _placed(works), staff)}</header>"
    ), name="bm_title")
    page = figure.render()
    page = page.replace("<html>", f"<html lang='{get_language() or settings.LANGUAGE_CODE}'>", 1)
    return _accessible(page)


_VIEWPORT = re.compile(r"<meta\s+name=[\"']viewport[\"'][^>]*>", re.S)


def _accessible(page: str) -> str:
    """folium's page made readable by all (axe-core clean): zoomable, its content in <main>.

    folium writes ``maximum-scale=1.0, user-scalable=no``, which stops a reader on a phone from
    enlarging the legend's small print (WCAG 1.4.4).
    """
    page = _VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">',
                         page, count=1)
    head, sep, rest = page.partition("<body>")
    if not sep:
        return page
    body, end, tail = rest.rpartition("</body>")
    return f"{head}<body>\n<main>{body}</main>\n{end}{tail}" if end else page
