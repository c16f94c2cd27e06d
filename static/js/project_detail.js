// The key-project page: a small location map and, for staff, the investment chart
// (reported cumulative investment by month against an even monthly plan). Chart.js is loaded as
// a classic script (global Chart) only for staff.

import { readJSON } from "./basemap.js";
import { drawDetailMap, keepMapView } from "./detail_map.js";

const data = readJSON("page-data", {});
const strings = readJSON("page-strings", {});

drawDetailMap("detail-map", data.geometry);
keepMapView();

// A refused report: the server answered with the page (banner at the top, errors in the form);
// land on the form with the first invalid field focused, the typed values still in place. (The
// form's action has no #fragment: a browser would carry it over the redirect after a success,
// which lands on the page's top with the "saved" banner.)
const refused = document.querySelector("#report-form[data-refused]");
function landOnRefusedForm() {
  const invalid = refused.querySelector(".field-error input, .field-error select, " +
    ".field-error textarea") || refused.querySelector("#report-errors");
  refused.closest("section")?.scrollIntoView({ block: "start" });
  invalid?.focus({ preventScroll: true });
}
if (refused) {
  // After the load, when the browser has done its own scrolling (a reload keeps the position).
  if (document.readyState === "complete") landOnRefusedForm();
  else window.addEventListener("load", () => setTimeout(landOnRefusedForm, 0), { once: true });
}

const canvas = document.getElementById("investment-chart");
if (canvas && data.chart && window.Chart) {
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.chart.months,
      datasets: [
        {
          label: strings.plan,
          data: data.chart.plan,
          borderColor: "#6b7785",
          borderDash: [6, 4],
          pointRadius: 0,
        },
        {
          label: strings.actual,
          data: data.chart.actual,
          borderColor: "#a3161a",
          backgroundColor: "#a3161a",
          spanGaps: true,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: strings.wan } } },
    },
  });
  canvas.dataset.ready = "true";
}
