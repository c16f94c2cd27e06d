// Numbers, percentages and dates as people read them: the browser's copy of geo/numbers.py.
// Money arrives in 万元 (the API's raw fields, often as decimal strings); people read 亿元 from
// 1 亿 up and 万元 below, with digit grouping, or billion/million yuan under the English UI.
// Rounding is half up (四舍五入), like the Python side; both run tests/geo/numbers_cases.json.

export const DASH = "—";

const ENGLISH_MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

/** True for the English UI: the given language, else the page's <html lang>. */
export function isEnglish(language) {
  const code = language || (typeof document !== "undefined" && document.documentElement.lang) || "zh-hans";
  return code.toLowerCase().startsWith("en");
}

function toNumber(value) {
  if (value === null || value === undefined || value === "") return null;
  const number = typeof value === "number" ? value : Number(String(value).trim());
  return Number.isFinite(number) ? number : null;
}

// Shift the decimal point by `places` through the exponent notation: exact for the decimal digits
// a float prints, where x * 10 ** n is not (1.005 * 100 = 100.49999999999999).
function shift(number, places) {
  const [mantissa, exponent = "0"] = String(number).split("e");
  return Number(`${mantissa}e${Number(exponent) + places}`);
}

function roundHalfUp(number, places) {
  const magnitude = shift(Math.round(shift(Math.abs(number), places)), -places);
  return number < 0 ? -magnitude : magnitude;
}

/** The number with `places` decimals (half up) and thousands grouped by commas. */
export function grouped(value, places = 0) {
  const number = toNumber(value);
  if (number === null) return DASH;
  let rounded = roundHalfUp(number, places);
  if (rounded === 0) rounded = 0; // no "-0.0"
  const [whole, fraction] = Math.abs(rounded).toFixed(places).split(".");
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (rounded < 0 ? "-" : "") + withCommas + (fraction ? `.${fraction}` : "");
}

function moneyEnglish(yuan) {
  if (Math.abs(yuan) >= 1e9) return `${grouped(shift(yuan, -9), 1)} billion yuan`;
  if (Math.abs(yuan) >= 1e6) return `${grouped(shift(yuan, -6), 1)} million yuan`;
  return `${grouped(yuan, 0)} yuan`;
}

/** An amount given in 万元, in the unit a reader of `language` expects. */
export function money(wan, language) {
  const amount = toNumber(wan);
  if (amount === null) return DASH;
  if (isEnglish(language)) return moneyEnglish(shift(amount, 4));
  // The unit follows the amount itself, "from 1 亿 up": 9,994.9 万元 reads "9,995 万元".
  if (Math.abs(amount) >= 10000) return `${grouped(shift(amount, -4), 1)} 亿元`;
  const places = Math.abs(amount) >= 10 || amount === 0 ? 0 : 1;
  return `${grouped(amount, places)} 万元`;
}

/** "474.2 亿元 / 706.7 亿元": a part against its whole, each in its own unit. */
export function moneyOf(part, whole, language) {
  if (isEnglish(language)) return `${money(part, "en")} of ${money(whole, "en")}`;
  return `${money(part, "zh-hans")} / ${money(whole, "zh-hans")}`;
}

/** A value already in percent, one decimal: 66.94 → "66.9%". */
export function percent(value) {
  const number = toNumber(value);
  return number === null ? DASH : `${grouped(number, 1)}%`;
}

/** A difference of percentages, signed, one decimal: -3.24 → "-3.2", 2 → "+2.0". */
export function points(value) {
  const number = toNumber(value);
  if (number === null) return DASH;
  const text = grouped(number, 1);
  return text.startsWith("-") || text === "0.0" ? text : `+${text}`;
}

// A date as the city sees it. Asia/Shanghai has kept UTC+8 without summer time since 1991, so a
// fixed offset is exact for every date the portal shows and needs no time-zone data.
function parseDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return cityDay(value);
  const text = String(value).trim();
  let match = /^(\d{4})-(\d{2})$/.exec(text);
  if (match) return { year: Number(match[1]), month: Number(match[2]), day: 1 };
  match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match) return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  const moment = new Date(text);
  return Number.isNaN(moment.getTime()) ? null : cityDay(moment);
}

function cityDay(moment) {
  const shifted = new Date(moment.getTime() + 8 * 3600 * 1000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

/** A month in prose: "2026年6月" / "June 2026". */
export function month(value, language) {
  const day = parseDate(value);
  if (!day) return DASH;
  if (isEnglish(language)) return `${ENGLISH_MONTHS[day.month - 1]} ${day.year}`;
  return `${day.year}年${day.month}月`;
}

/** A day in prose: "2026年6月3日" / "3 June 2026". */
export function date(value, language) {
  const day = parseDate(value);
  if (!day) return DASH;
  if (isEnglish(language)) return `${day.day} ${ENGLISH_MONTHS[day.month - 1]} ${day.year}`;
  return `${day.year}年${day.month}月${day.day}日`;
}

/** A time of day in the city, "18:05": for "loaded at" notes. */
export function clock(value) {
  const moment = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(moment.getTime())) return DASH;
  const shifted = new Date(moment.getTime() + 8 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}`;
}
