// Display helpers. Money and quantities stay the API's decimal strings: they are shown as given
// (grouped, padded to the instrument's tick) and subtracted exactly with BigInt, never as floats.

/** "1234567.5" -> "1,234,567.5"; null/undefined -> "–". */
export function decimal(value, places) {
  if (value === null || value === undefined || value === "") return "–";
  let text = String(value);
  if (places !== undefined) text = padPlaces(text, places);
  const negative = text.startsWith("-");
  const [whole, fraction] = text.replace(/^[-+]/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + grouped + (fraction !== undefined ? "." + fraction : "");
}

/** Pad (never round) a decimal string to at least `places` decimals: tick 0.01 -> "101.50". */
function padPlaces(text, places) {
  const [whole, fraction = ""] = text.split(".");
  if (fraction.length >= places) return text;
  return whole + "." + fraction.padEnd(places, "0");
}

/** Decimal places of a tick or lot size string: "0.01" -> 2, "1" -> 0. */
export function placesOf(step) {
  if (!step) return undefined;
  const fraction = String(step).replace(/0+$/, "").split(".")[1];
  return fraction ? fraction.length : 0;
}

function scaled(text, places) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const digits = BigInt(whole + fraction.padEnd(places, "0"));
  return negative ? -digits : digits;
}

/** Exact a - b of two decimal strings, as a decimal string. */
export function subtract(a, b) {
  const places = Math.max((String(a).split(".")[1] || "").length, (String(b).split(".")[1] || "").length);
  const result = scaled(String(a), places) - scaled(String(b), places);
  const negative = result < 0n;
  const digits = (negative ? -result : result).toString().padStart(places + 1, "0");
  const text = places ? digits.slice(0, -places) + "." + digits.slice(-places) : digits;
  return (negative ? "-" : "") + text;
}

/** The sign of a decimal string: -1, 0 or 1 (for colouring). */
export function sign(value) {
  if (value === null || value === undefined) return 0;
  const text = String(value);
  if (/^-?0*(\.0*)?$/.test(text.replace("-", ""))) return 0;
  return text.startsWith("-") ? -1 : 1;
}

/** A <time> element: the browser's zone shown, UTC on hover. */
export function time(iso, { withDate = false } = {}) {
  const element = document.createElement("time");
  if (!iso) {
    element.textContent = "–";
    return element;
  }
  const date = new Date(iso);
  element.dateTime = iso;
  element.title = date.toISOString().replace(".000Z", "Z") + " (UTC)";
  element.textContent = withDate ? date.toLocaleString() : date.toLocaleTimeString();
  return element;
}

/** A table cell with text (or a node), optional class. */
export function cell(content, className) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else td.textContent = content === null || content === undefined ? "–" : String(content);
  if (className) td.className = className;
  return td;
}

export function signedClass(value) {
  const s = sign(value);
  return s > 0 ? "num up" : s < 0 ? "num down" : "num";
}

/** Round a decimal string half away from zero to `places` decimals, exactly (BigInt). */
export function roundPlaces(value, places) {
  const text = String(value);
  const fraction = (text.split(".")[1] || "").length;
  if (fraction <= places) return padPlaces(text, places);
  const negative = text.startsWith("-");
  const digits = scaled(text.replace(/^[-+]/, ""), fraction);
  const unit = 10n ** BigInt(fraction - places);
  const rounded = (digits + unit / 2n) / unit;
  const body = rounded.toString().padStart(places + 1, "0");
  const result = places ? body.slice(0, -places) + "." + body.slice(-places) : body;
  return (negative && rounded !== 0n ? "-" : "") + result;
}

const minorUnits = new Map();

/** The currency's minor unit digits (USD 2, JPY 0), from the browser's Intl data. */
export function currencyPlaces(currency) {
  if (!currency) return 2;
  if (!minorUnits.has(currency)) {
    let places = 2;
    try {
      places = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      places = 8; // not an ISO currency (a crypto asset): show what the ledger holds
    }
    minorUnits.set(currency, places);
  }
  return minorUnits.get(currency);
}

/** Money in its currency: "12345.678", "USD" -> "12,345.68 USD" (rounded to the minor unit). */
export function money(value, currency) {
  if (value === null || value === undefined || value === "") return "–";
  const text = decimal(roundPlaces(value, currencyPlaces(currency)));
  return currency ? `${text} ${currency}` : text;
}

/** A percentage string to two places: "12.3456" -> "12.35 %". */
export function percent(value) {
  if (value === null || value === undefined || value === "") return "–";
  return decimal(roundPlaces(value, 2)) + " %";
}
