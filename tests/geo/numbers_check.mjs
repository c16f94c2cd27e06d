// Runs static/js/numbers.js over numbers_cases.json; prints the cases it gets wrong as JSON.
// Usage: node numbers_check.mjs <numbers.js file URL> <cases.json path>
import { readFileSync } from "node:fs";

const n = await import(process.argv[2]);
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));
const wrong = [];
const check = (kind, got, want, args) => {
  if (got !== want) wrong.push({ kind, args, got, want });
};
for (const [wan, lang, want] of cases.money) check("money", n.money(wan, lang), want, [wan, lang]);
for (const [a, b, lang, want] of cases.money_of) {
  check("money_of", n.moneyOf(a, b, lang), want, [a, b, lang]);
}
for (const [v, want] of cases.percent) check("percent", n.percent(v), want, [v]);
for (const [v, want] of cases.points) check("points", n.points(v), want, [v]);
for (const [v, lang, want] of cases.month) check("month", n.month(v, lang), want, [v, lang]);
for (const [v, lang, want] of cases.date) check("date", n.date(v, lang), want, [v, lang]);
// A float from JSON, and the "loaded at" clock in Beijing time (10:05 UTC = 18:05).
check("float", n.money(4742430.3, "zh-hans"), "474.2 亿元", []);
check("clock", n.clock("2026-06-30T10:05:00Z"), "18:05", []);
console.log(JSON.stringify(wrong));
