// The staff dashboard: sortable KPI tables (click or Enter on a column header) and a chart of
// start rate and investment completion rate by lead department. Chart.js is a classic script
// (global Chart); the figures come from json_script "stats-data".

import { readJSON } from "./basemap.js";

const stats = readJSON("stats-data", {});
const strings = readJSON("page-strings", {});

function cellValue(row, index, type) {
  const text = row.cells[index].textContent.trim();
  if (type !== "num") return text;
  const n = Number.parseFloat(text);
  return Number.isNaN(n) ? Number.NEGATIVE_INFINITY : n;
}

/** Make every header of `table` a button that sorts the body by that column. */
export function makeSortable(table) {
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((th, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => h.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const type = th.dataset.type;
      const body = table.tBodies[0];
      const rows = Array.from(body.rows).filter((r) => r.cells.length > 1);
      rows.sort((a, b) => {
        const x = cellValue(a, index, type);
        const y = cellValue(b, index, type);
        const order = type === "num" ? x - y : String(x).localeCompare(String(y), "zh");
        return ascending ? order : -order;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
  table.dataset.sortable = "ready";
}

document.querySelectorAll("table.sortable").forEach(makeSortable);

const canvas = document.getElementById("department-chart");
if (canvas && window.Chart && Array.isArray(stats.by_department)) {
  const rows = stats.by_department;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r.name),
      datasets: [
        { label: strings.startRate, data: rows.map((r) => r.start_rate), backgroundColor: "#1a62c9" },
        {
          label: strings.completionRate,
          data: rows.map((r) => r.completion_rate),
          backgroundColor: "#e8710a",
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true, suggestedMax: 100 } },
    },
  });
  canvas.dataset.ready = "true";
}
