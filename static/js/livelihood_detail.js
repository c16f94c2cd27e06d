// The livelihood-work page: a small map of the work (roads and pipes are lines, renovations areas).

import { readJSON } from "./basemap.js";
import { drawDetailMap, keepMapView } from "./detail_map.js";

drawDetailMap("detail-map", readJSON("page-data", {}).geometry, "#1967d2");
keepMapView();
