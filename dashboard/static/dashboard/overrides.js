// Risk overrides on the Risk page: the active and pending ones, approve (another user, where
// four-eyes is on) and revoke, and a request form; the server decides who may do what.
import { api } from "./session.js";
import { time } from "./format.js";
import { $, button, confirmDialog, listOf, say, showErrorIn } from "./ui.js";

// The limits an override may replace (risk.enums.OVERRIDABLE_LIMITS).
const LIMITS = [
  "max_order_quantity", "max_order_notional", "max_position_notional", "max_gross_exposure",
  "max_open_orders", "price_band_pct", "daily_loss_limit", "max_drawdown_pct",
  "risk_per_trade_pct", "max_orders_per_second",
];
const VALUE_HINTS = {
  limit: "the new limit",
  risk_level: "a multiplier, 0 to 10",
  trading_state: "running, reduce_only, stopped or halted",
};

let ctx = null; // {account, username, canControl, onChange}

export function overridesStart(context) {
  ctx = context;
  if ($("override-form")) {
    $("ovr-target").replaceChildren(...LIMITS.map((name) => new Option(name.replace(/_/g, " "), name)));
    $("ovr-kind").addEventListener("change", kindChanged);
    $("override-form").addEventListener("submit", request);
    kindChanged();
  }
}

function kindChanged() {
  const kind = $("ovr-kind").value;
  $("ovr-target-label").hidden = kind !== "limit";
  $("ovr-value").placeholder = VALUE_HINTS[kind];
}

/** Read the active and pending overrides (and whether four-eyes is on) and show them. */
export async function overridesLoad() {
  if (!ctx) return;
  const query = { account: ctx.account, limit: 100 };
  try {
    const [active, pending, config] = await Promise.all([
      api("GET", "/risk/overrides", { query: { ...query, status: "active" } }),
      api("GET", "/risk/overrides", { query: { ...query, status: "pending_approval" } }),
      api("GET", "/config", { query: { account: ctx.account } }),
    ]);
    render(listOf(pending, "results"), listOf(active, "results"), Boolean(config.risk && config.risk.require_four_eyes));
  } catch (error) {
    showErrorIn($("overrides-error"), error);
  }
}

function render(pending, active, fourEyes) {
  $("four-eyes").textContent = fourEyes
    ? "Four-eyes is on: an override starts pending until another user with the control role approves it."
    : "Four-eyes is off: an override is active as soon as it is requested.";
  $("four-eyes").dataset.fourEyes = fourEyes ? "on" : "off";
  const items = [...pending, ...active].map(item);
  $("overrides").replaceChildren(...items);
  $("overrides-empty").hidden = items.length > 0;
  $("overrides-empty").textContent = ctx.canControl
    ? "No active or pending overrides. Request one below when a limit must move for a while."
    : "No active or pending overrides.";
}

function item(o) {
  const li = document.createElement("li");
  li.className = "override";
  li.dataset.overrideId = o.id;
  li.dataset.status = o.status;
  const head = document.createElement("div");
  const what = document.createElement("strong");
  what.textContent = `${o.kind === "limit" ? o.target.replace(/_/g, " ") : o.kind.replace(/_/g, " ")} = ${o.value}`;
  const status = document.createElement("span");
  status.className = "badge status-" + o.status;
  status.textContent = o.status === "pending_approval" ? "pending approval" : o.status;
  head.append(what, " ", status);
  const detail = document.createElement("div");
  detail.className = "muted small";
  detail.append(`“${o.reason}” · requested by ${o.requested_by || "?"}`);
  if (o.approved_by) detail.append(` · approved by ${o.approved_by}`);
  detail.append(" · until ", time(o.expires_at, { withDate: true }));
  li.append(head, detail);
  if (ctx.canControl) {
    const actions = document.createElement("div");
    actions.className = "row buttons";
    if (o.status === "pending_approval") {
      if (o.requested_by === ctx.username) {
        const wait = document.createElement("span");
        wait.className = "muted small";
        wait.textContent = "Waiting for another user's approval.";
        actions.append(wait);
      } else {
        actions.append(button("Approve", () => decide(o, "approve"), "small primary"));
      }
    }
    actions.append(button("Revoke", () => decide(o, "revoke"), "small danger"));
    li.append(actions);
  }
  return li;
}

async function decide(o, decision) {
  const label = decision === "approve" ? "Approve" : "Revoke";
  const text = `${o.kind} ${o.target || ""} = ${o.value}, requested by ${o.requested_by}: “${o.reason}”.`;
  if (!(await confirmDialog(`${label} override ${o.id}?`, text, label))) return;
  try {
    if (decision === "approve") await api("POST", `/risk/overrides/${o.id}/approve`, { query: { account: ctx.account } });
    else await api("DELETE", `/risk/overrides/${o.id}`, { query: { account: ctx.account } });
    $("overrides-error").hidden = true;
    ctx.onChange(); // reads the risk panel and the overrides again
  } catch (error) {
    showErrorIn($("overrides-error"), error);
    await overridesLoad();
  }
}

async function request(event) {
  event.preventDefault();
  const kind = $("ovr-kind").value;
  const minutes = Number($("ovr-duration").value);
  const body = {
    account: ctx.account,
    kind,
    target: kind === "limit" ? $("ovr-target").value : "",
    value: $("ovr-value").value.trim(),
    reason: $("ovr-reason").value.trim(),
    expires_at: new Date(Date.now() + minutes * 60_000).toISOString(),
  };
  const out = $("ovr-result");
  try {
    const created = await api("POST", "/risk/overrides", { body });
    say(out, created.status === "pending_approval" ? `Override ${created.id} requested: it waits for another user's approval.` : `Override ${created.id} is active.`);
    $("ovr-value").value = "";
    $("ovr-reason").value = "";
    ctx.onChange();
  } catch (error) {
    showErrorIn(out, error);
    out.className = "";
  }
}
