// Page pieces every tab uses: the error banner, API error blocks, confirmations, a cursor pager.
import { ApiError } from "./session.js";
import { cell } from "./format.js";

export const $ = (id) => document.getElementById(id);

/** The banner under the header: the API error's `message`, gone after 8 s. */
export function showError(error) {
  const banner = $("banner");
  banner.textContent = error instanceof ApiError ? error.message : String(error.message || error);
  banner.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (banner.hidden = true), 8000);
}

/** A status line: green text, or red for kind "error". */
export function say(element, text, kind = "ok") {
  element.textContent = text;
  element.className = kind === "ok" ? "ok" : "error";
  element.hidden = false;
}

export function violationList(violations) {
  const list = document.createElement("ul");
  list.className = "violations";
  for (const v of violations) {
    const li = document.createElement("li");
    li.textContent = `${v.rule}: ${v.message}` + (v.limit !== undefined ? ` (limit ${v.limit}, value ${v.value})` : "");
    list.append(li);
  }
  return list;
}

/** The API error's message, then its field errors and risk violations from `details`. */
export function errorBlock(error) {
  const div = document.createElement("div");
  div.className = "error-block";
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = error.message;
  div.append(p);
  const fields = error.details && error.details.fields;
  if (fields) {
    const ul = document.createElement("ul");
    ul.className = "error";
    for (const [field, messages] of Object.entries(fields)) {
      const li = document.createElement("li");
      li.textContent = `${field}: ${[].concat(messages).join(" ")}`;
      ul.append(li);
    }
    div.append(ul);
  }
  if (error.details && error.details.violations) div.append(violationList(error.details.violations));
  return div;
}

/** Show an error block in `box` (an element that is hidden until then). */
export function showErrorIn(box, error) {
  box.replaceChildren(errorBlock(error));
  box.hidden = false;
}

export function confirmDialog(title, text, confirmLabel = "Confirm") {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

export function button(label, onClick, className = "small") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.className = className;
  element.addEventListener("click", onClick);
  return element;
}

export function listOf(body, key) {
  if (Array.isArray(body)) return body;
  return (body && (body[key] || body.results)) || [];
}

/** A datetime-local input's value (the browser's zone) as an ISO instant, or undefined. */
export function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : undefined;
}

/**
 * A table fed by a cursor-paginated list (`{results, next}`): Older follows `next`, Newer goes
 * back through the cursors seen. `load(cursor)` returns the body; `row(item)` a <tr>.
 */
export class Pager {
  constructor({ table, empty, older, newer, label, load, row, columns }) {
    Object.assign(this, { table, empty, older, newer, label, load, row, columns });
    this.cursors = [null]; // the cursor of each page seen, the first page's is null
    this.next = null;
    older.addEventListener("click", () => this.go(this.cursors.length));
    newer.addEventListener("click", () => this.go(this.cursors.length - 2));
  }

  /** Back to the first page (after a filter changed). */
  reset() {
    this.cursors = [null];
    return this.go(0);
  }

  async go(index) {
    if (index < 0) return;
    if (index >= this.cursors.length) {
      if (!this.next) return;
      this.cursors.push(this.next);
    } else {
      this.cursors.length = index + 1;
    }
    const cursor = this.cursors[this.cursors.length - 1];
    const tbody = this.table.querySelector("tbody");
    this.table.dataset.state = "loading";
    const ticket = (this.ticket = (this.ticket || 0) + 1); // only the newest load is shown
    try {
      const body = await this.load(cursor);
      if (ticket !== this.ticket) return;
      const items = listOf(body, "results");
      this.next = body && body.next ? new URL(body.next, window.location.origin).searchParams.get("cursor") : null;
      tbody.replaceChildren(...items.map((item) => this.row(item)));
      this.empty.hidden = items.length > 0;
      this.table.dataset.page = String(this.cursors.length);
    } catch (error) {
      if (ticket !== this.ticket) return;
      const tr = document.createElement("tr");
      const td = cell(errorBlock(error));
      td.colSpan = this.columns;
      tr.append(td);
      tbody.replaceChildren(tr);
      this.empty.hidden = true;
      this.next = null;
    }
    this.older.disabled = !this.next;
    this.newer.disabled = this.cursors.length <= 1;
    this.label.textContent = `page ${this.cursors.length}`;
    this.table.dataset.state = "ready";
  }
}
