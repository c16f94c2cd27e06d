// Every map popup of the site is built here: the citywide map's (a feature's fields, the
// project and livelihood popups of the filter panel), the public market list's and the staff
// reports'. Text goes in with textContent only, so a name can never inject markup; where
// Leaflet insists on an HTML string (an attribution, a divIcon), escapeText makes it safe.
// Callers pass words, links and values; this module knows no URL and reads no page config.

import { DASH, date, moneyOf, percent } from "./numbers.js";

/** An element with properties (textContent, className, href, …) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/** `text` as HTML that shows it literally (for Leaflet's HTML-string options). */
export function escapeText(text) {
  const node = document.createElement("span");
  node.textContent = text || "";
  return node.innerHTML;
}

/** A popup's row of action links (class "popup-actions"), or null when it would be empty.
 * `links`: [href, text, className] each; one without an href is left out. */
export function popupActions(links) {
  const shown = links.filter((link) => link && link[0]);
  if (!shown.length) return null;
  return el("p", { className: "popup-actions" },
    ...shown.map(([href, text, className]) => el("a", { href, textContent: text, className })));
}

/** Append "label: value" to a <dl>, unless the value is empty. */
export function addRow(list, label, value) {
  if (value === null || value === undefined || value === "") return;
  list.append(el("dt", { textContent: label }), el("dd", { textContent: String(value) }));
}

/** A 0–100 meter that reads "NN%" without styles. */
export function progressBar(percent) {
  const meter = el("meter", { min: 0, max: 100, value: Number(percent) || 0 });
  meter.textContent = `${percent}%`;
  return meter;
}

/** A popup line with a project's open supervision orders (staff), or null when none. */
export function openOrdersLine(properties, strings = {}) {
  const open = Number(properties?.open_orders) || 0;
  if (!open) return null;
  const overdue = Number(properties.overdue_orders) || 0;
  return el("p", {
    className: "popup-orders",
    textContent: `${strings.openOrders || "Open orders"}: ${open}`
      + (overdue ? ` (${overdue} ${strings.overdueOrders || "overdue"})` : ""),
  });
}

/** The citywide map's popup: a title, [label, value] rows and the action links. */
export function fieldsPopup({ title, rows, actions = [] }) {
  const list = el("dl");
  for (const [label, value] of rows) addRow(list, label, value);
  return el("div", { className: "map-popup" }, el("h3", { textContent: title }), list,
    popupActions(actions));
}

function progressRow(list, label, value) {
  list.append(el("dt", { textContent: label }),
    el("dd", {}, progressBar(Number(value) || 0), ` ${percent(value)}`));
}

/** A date field in prose ("2026年3月10日"), or a dash. */
function day(value) {
  return value ? date(value) : DASH;
}

/**
 * A project's popup: key figures, the light with its reasons (staff), its open orders and
 * links. `S` holds the filter panel's words, `orders` the order line's, `actions` the links.
 */
export function projectPopup(p, { S, orders = {}, actions = [] }) {
  const list = el("dl");
  addRow(list, S.code, p.code);
  addRow(list, S.stage, p.stage_label);
  addRow(list, S.department, p.lead_department);
  addRow(list, S.leader, p.leader);
  addRow(list, S.plannedStart, day(p.planned_start));
  addRow(list, S.actualStart, day(p.actual_start));
  addRow(list, S.plannedEnd, day(p.planned_end));
  if (p.actual_end) addRow(list, S.actualEnd, day(p.actual_end));
  progressRow(list, S.progress, p.percent_complete);
  if (p.planned_investment_year !== undefined) {
    const planned = Number(p.planned_investment_year) || 0;
    const done = Number(p.completed_investment_year) || 0;
    const pct = planned ? (done / planned) * 100 : 0;
    // As a leader reads money: "4.2 亿元 / 7.1 亿元 (59.2%)" (numbers.js, from 万元).
    list.append(el("dt", { textContent: S.investment }),
      el("dd", {}, progressBar(Math.min(pct, 100)),
        ` ${moneyOf(done, planned)} (${planned ? percent(pct) : DASH})`));
  }
  const root = el("div", { className: "map-popup project-popup" },
    el("h3", { textContent: p.name || p.code }), list);
  appendLightAndOrders(root, p, S, orders);
  const links = popupActions(actions);
  if (links) root.append(links);
  return root;
}

/** Staff: the light with its reasons and the open-orders line, for a project or a work. */
function appendLightAndOrders(root, p, S, orders) {
  if (p.light) {
    const reasons = el("ul", { className: "light-reasons" });
    for (const reason of p.light_reasons || []) {
      const item = el("li", { textContent: reason.text });
      item.dataset.code = reason.code;
      item.dataset.light = reason.light;
      reasons.append(item);
    }
    if (!reasons.childElementCount) reasons.append(el("li", { textContent: S.onTrack }));
    root.append(el("div", { className: `popup-light light-${p.light}` },
      el("strong", { textContent: `${S.light}: ${p.light_label}` }), reasons));
  }
  const ordersLine = openOrdersLine(p, orders);
  if (ordersLine) root.append(ordersLine);
}

/** A livelihood work's popup: programme, status, progress, next milestone, its milestone
 * light (the colour it is drawn in, `lightColor`), then for staff its light with reasons and
 * open orders as a project's, and links. */
export function livelihoodPopup(p, { S, lightColor = "", orders = {}, actions = [] }) {
  const list = el("dl");
  addRow(list, S.code, p.code);
  addRow(list, S.programme, p.programme_label);
  addRow(list, S.stage, p.status_label);
  addRow(list, S.department, p.lead_department);
  progressRow(list, S.progress, p.percent_complete);
  if (p.next_milestone) {
    addRow(list, S.nextMilestone, `${p.next_milestone} (${day(p.next_milestone_date)})`);
  }
  const root = el("div", { className: "map-popup livelihood-popup" },
    el("h3", { textContent: p.name || p.code }), list);
  if (p.milestone_light) {
    // Staff only: the work's light is its milestone progress, in the colour it is drawn in.
    const box = el("div", { className: "popup-light milestone-light" },
      el("strong", { textContent: `${S.milestone}: ${p.milestone_light_label}` }));
    box.style.borderLeftColor = lightColor;
    box.dataset.light = p.milestone_light;
    root.append(box);
  }
  appendLightAndOrders(root, p, S, orders);
  const links = popupActions(actions);
  if (links) root.append(links);
  return root;
}

/** A market zone on the public list: its name linking to its page, and whether it is open. */
export function marketPopup(properties) {
  return el("div", {},
    el("a", { href: properties.url, textContent: properties.name }),
    el("p", { textContent: properties.status_text }));
}

/** A citizen report on the staff map: code, category and state, linking to its row. */
export function reportPopup(props, href) {
  return el("a", { href, textContent: `${props.code} · ${props.category} · ${props.state_label}` });
}
