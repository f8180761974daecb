// The deployments page: each strategy deployment's status (live over the `deployments` channel)
// with pause, resume and stop, and the signals its decisions recorded (the `signals` channel).
import { api } from "./session.js";
import { cell, decimal, money, time } from "./format.js";
import { $, button, confirmDialog, listOf, showErrorIn } from "./ui.js";

const SIGNALS_SHOWN = 100;
let ctx = null; // {account, canTrade, currencyOf}
const deployments = new Map(); // id -> deployment
let signals = [];

export async function deploymentsStart(context) {
  ctx = context;
  $("dp-status").addEventListener("change", render);
  try {
    const body = await api("GET", "/deployments", { query: { account: ctx.account, limit: 100 } });
    for (const d of listOf(body, "results")) deployments.set(d.id, d);
  } catch (error) {
    showErrorIn($("dp-error"), error);
  }
  render();
  renderSignals();
}

/** A message of the `deployments` or `signals` channel. */
export function deploymentsMessage(message) {
  if (message.channel === "deployments") {
    const items = message.type === "snapshot" ? listOf(message.data, "deployments") : [message.data];
    for (const d of items) {
      const known = deployments.get(d.id);
      if (!known || !known.updated_at || !d.updated_at || d.updated_at >= known.updated_at) {
        deployments.set(d.id, known && d.position === undefined ? { ...d, position: known.position } : d);
      }
    }
    render();
  } else if (message.channel === "signals") {
    if (message.type === "snapshot") signals = listOf(message.data, "signals");
    else signals = [message.data, ...signals.filter((s) => s.id !== message.data.id)].slice(0, SIGNALS_SHOWN);
    renderSignals();
    // A decision moves the deployment's target, last bar and position, which no lifecycle
    // event carries: read it again.
    if (message.type === "update" && message.data.deployment) reload(message.data.deployment);
  }
}

/** A fill of the account: a deployment on its symbol may hold more or less now. */
export function deploymentsFill(fill) {
  for (const d of deployments.values()) if (d.symbol === fill.symbol && d.status !== "stopped") reload(d.id);
}

async function reload(id) {
  try {
    const fresh = await api("GET", `/deployments/${id}`, { query: { account: ctx.account } });
    deployments.set(fresh.id, fresh);
    render();
  } catch (error) {
    showErrorIn($("dp-error"), error);
  }
}

function render() {
  if (!ctx) return;
  const wanted = $("dp-status").value;
  const rows = [...deployments.values()]
    .filter((d) => !wanted || d.status === wanted)
    .sort((a, b) => b.id - a.id)
    .map(row);
  $("deployments-table").querySelector("tbody").replaceChildren(...rows);
  $("deployments-empty").hidden = rows.length > 0;
  $("deployments-empty").textContent = deployments.size
    ? "No deployment has this status."
    : "No deployments yet. Backtest a strategy first, then start it live with POST /api/v1/strategies/{name}/deployments (docs/deployments.md).";
}

function row(d) {
  const tr = document.createElement("tr");
  tr.dataset.deployment = String(d.id);
  tr.dataset.status = d.status;
  const parameters = Object.entries(d.parameters || {}).map(([k, v]) => `${k} ${v}`).join(", ");
  const status = document.createElement("span");
  status.className = "badge status-" + d.status;
  status.textContent = d.status;
  const statusCell = cell(status);
  if (d.status_reason || d.error) {
    const why = document.createElement("div");
    why.className = "muted small";
    why.textContent = d.error ? `${d.status_reason || "failed"}: ${typeof d.error === "string" ? d.error : JSON.stringify(d.error)}` : d.status_reason;
    statusCell.append(why);
  }
  const actions = document.createElement("td");
  if (ctx.canTrade) {
    if (d.status === "running") actions.append(button("Pause", () => act(d, "pause")));
    if (d.status === "paused") actions.append(button("Resume", () => act(d, "resume")));
    if (d.status !== "stopped") actions.append(" ", button("Stop", () => act(d, "stop"), "small danger"));
  }
  tr.append(
    cell(String(d.id)),
    cell(d.strategy),
    cell(`${d.symbol} ${d.interval}`),
    cell(parameters || "defaults"),
    cell(money(d.capital, ctx.currencyOf(d.symbol)), "num"),
    statusCell,
    cell(d.target, "side-" + (d.target === "long" ? "long" : d.target === "short" ? "short" : "flat")),
    cell(d.position === undefined ? "–" : decimal(d.position), "num position"),
    cell(time(d.last_bar_at, { withDate: true })),
    actions,
  );
  return tr;
}

async function act(d, action) {
  if (action === "stop") {
    const text = `Deployment ${d.id} (${d.strategy} on ${d.symbol}) stops for good; the position it holds stays open.`;
    if (!(await confirmDialog(`Stop deployment ${d.id}?`, text, "Stop"))) return;
  }
  try {
    const changed = await api("POST", `/deployments/${d.id}/${action}`, { body: { reason: `${action} from the dashboard` }, query: { account: ctx.account } });
    const known = deployments.get(changed.id);
    deployments.set(changed.id, known && changed.position === undefined ? { ...changed, position: known.position } : changed);
    $("dp-error").hidden = true;
    render();
  } catch (error) {
    showErrorIn($("dp-error"), error);
  }
}

function renderSignals() {
  const rows = signals.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.signal = String(s.id);
    tr.append(
      cell(time(s.created_at, { withDate: true })),
      cell(s.deployment === undefined || s.deployment === null ? "–" : String(s.deployment)),
      cell(s.strategy),
      cell(s.symbol),
      cell(s.direction, "side-" + s.direction),
      cell(s.decision, "decision-" + s.decision),
      cell(s.order === null || s.order === undefined ? "–" : String(s.order)),
      cell(s.outcome_r === null || s.outcome_r === undefined ? "–" : decimal(s.outcome_r) + " R", "num"),
      cell(s.reason, "small"),
    );
    return tr;
  });
  $("signals-table").querySelector("tbody").replaceChildren(...rows);
  $("signals-empty").hidden = rows.length > 0;
}
