// The audit page (admin role): the log filtered by actor, action, object and time, paged, and
// the hash chain's verification.
import { api } from "./session.js";
import { cell, time } from "./format.js";
import { $, Pager, isoFromLocal, showErrorIn } from "./ui.js";

let pager = null;

export function auditStart() {
  if (!$("page-audit")) return; // not an administrator
  pager = new Pager({
    table: $("audit-table"),
    empty: $("audit-empty"),
    older: $("au-older"),
    newer: $("au-newer"),
    label: $("au-page"),
    columns: 7,
    load: (cursor) =>
      api("GET", "/audit", {
        query: {
          limit: $("au-limit").value,
          actor: $("au-actor").value.trim(),
          action: $("au-action").value.trim(),
          object: $("au-object").value.trim(),
          from: isoFromLocal($("au-from").value),
          to: isoFromLocal($("au-to").value),
          cursor,
        },
      }),
    row,
  });
  $("au-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
  });
  $("au-verify").addEventListener("click", verify);
}

/** Read the first page and verify the chain when the page is first opened. */
export function auditShown() {
  if (!pager || pager.loaded) return;
  pager.loaded = true;
  pager.reset();
  verify();
}

function row(entry) {
  const tr = document.createElement("tr");
  tr.dataset.seq = String(entry.seq);
  const object = entry.object_type ? `${entry.object_type}${entry.object_id ? ":" + entry.object_id : ""}` : "–";
  const request = entry.method ? `${entry.method} ${entry.path} → ${entry.status_code}` : "";
  const detail = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = request || "change";
  const pre = document.createElement("pre");
  const shown = entry.kind === "api_call" ? { params: entry.params, duration_ms: entry.duration_ms } : { before: entry.before, after: entry.after };
  pre.textContent = JSON.stringify({ ...shown, credential: entry.credential, ip: entry.ip, request_id: entry.request_id, hash: entry.hash }, null, 2);
  detail.append(summary, pre);
  tr.append(
    cell(time(entry.timestamp, { withDate: true })),
    cell(entry.seq === null ? "–" : String(entry.seq), "num"),
    cell(entry.actor),
    cell(entry.action),
    cell(object),
    cell(entry.account_id === null ? "–" : String(entry.account_id)),
    cell(detail),
  );
  return tr;
}

async function verify() {
  const out = $("au-chain");
  out.textContent = "Verifying…";
  out.className = "muted";
  out.hidden = false;
  try {
    const result = await api("GET", "/audit/verify");
    out.dataset.intact = result.intact ? "yes" : "no";
    if (result.intact) {
      out.textContent = `Chain intact: ${result.checked} rows checked.`;
      out.className = "ok";
    } else {
      out.textContent = `Chain broken at row ${result.first_broken_id} (${result.reason}); ${result.checked} rows checked.`;
      out.className = "error";
    }
  } catch (error) {
    out.dataset.intact = "";
    showErrorIn(out, error);
  }
}
