// The staff rule editor: a live preview of the next 7 days while an opening_hours string is
// typed, with the parser's message and position shown inline when it does not read.

import { readJSON } from "./basemap.js";
import { request } from "./write.js";

const config = readJSON("rules-config", {});
const strings = config.strings || {};
const input = document.getElementById("id_hours-opening_hours");
const preview = document.getElementById("hours-preview");
const DEBOUNCE_MS = 300;

let timer = null;
let sequence = 0;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showDays(days) {
  const heading = el("p", strings.valid);
  const list = el("ul");
  for (const day of days) {
    const hours = day.intervals.map((i) => i.label).join(", ") || strings.closedDay;
    let tag = "";
    if (day.day_kind === "holiday") tag = ` (${day.holiday_name || strings.holiday})`;
    if (day.day_kind === "workday") tag = ` (${strings.workday})`;
    list.append(el("li", `${day.date.slice(5)} ${day.weekday}${tag}: ${hours}`));
  }
  preview.replaceChildren(heading, list);
  preview.dataset.state = "valid";
  input.removeAttribute("aria-invalid");
}

function showProblem(text, problem, detail) {
  const message = el("p", detail || strings.error, "preview-error");
  // The string with a caret under the character the parser stopped at (1-based column).
  const pointer = el("pre");
  pointer.append(el("span", text), document.createTextNode("\n"));
  pointer.append(document.createTextNode(`${" ".repeat(Math.max(problem.column - 1, 0))}^`));
  preview.replaceChildren(message, pointer);
  preview.dataset.state = "invalid";
  input.setAttribute("aria-invalid", "true");
}

async function refresh() {
  const text = input.value;
  const mine = ++sequence;
  if (!text.trim()) {
    preview.replaceChildren(el("p", strings.empty));
    preview.dataset.state = "empty";
    input.removeAttribute("aria-invalid");
    return;
  }
  preview.dataset.state = "checking";
  const url = new URL(config.previewUrl, window.location.origin);
  url.searchParams.set("opening_hours", text);
  url.searchParams.set("from", config.from);
  url.searchParams.set("days", "7");
  const result = await request(url, { headers: { Accept: "application/json" } });
  if (mine !== sequence) return; // a newer keystroke's answer wins
  if (result.ok) showDays(result.body.days);
  else if (result.kind === "network") {
    preview.replaceChildren(el("p", strings.failed, "preview-error"));
  } else if (result.body.problem) showProblem(text, result.body.problem, result.body.detail);
  else {
    preview.replaceChildren(el("p", result.body.detail || strings.failed, "preview-error"));
    preview.dataset.state = "invalid";
  }
}

if (input && preview) {
  input.setAttribute("aria-describedby", `${input.id}_helptext hours-preview`);
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
  refresh();
}
