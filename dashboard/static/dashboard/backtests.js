// The backtests page: a launch form generated from the strategy's parameter schema, a progress
// bar (GET /backtests/{id} polled while it runs), and the result's statistics and equity curve.
import { api } from "./session.js";
import { decimal } from "./format.js";
import { EquityChart, chartsAvailable } from "./charts.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 500;
const DONE = new Set(["completed", "failed", "cancelled"]);
const STATS = [
  ["total_return_pct", "Total return %"],
  ["sharpe_ratio", "Sharpe"],
  ["max_drawdown_pct", "Max drawdown %"],
  ["total_trades", "Trades"],
  ["win_rate", "Win rate"],
  ["profit_factor", "Profit factor"],
];

let strategies = [];
let chart = null;
let running = null; // {backtest, operation}

export async function backtestsStart({ account, symbols, defaultSymbol }) {
  if (!$("bt-form")) return; // a viewer cannot start one
  strategies = (await api("GET", "/strategies")).results || [];
  $("bt-strategy").replaceChildren(...strategies.map((s) => new Option(s.title || s.name, s.name)));
  $("bt-symbol").replaceChildren(...symbols.map((s) => new Option(s, s, false, s === defaultSymbol)));
  $("bt-strategy").addEventListener("change", parameterFields);
  parameterFields();
  if (chartsAvailable()) chart = new EquityChart($("bt-chart"));
  $("bt-form").addEventListener("submit", (event) => {
    event.preventDefault();
    launch(account);
  });
  $("bt-cancel").addEventListener("click", cancel);
}

function parameterFields() {
  const strategy = strategies.find((s) => s.name === $("bt-strategy").value);
  const box = $("bt-parameters");
  const legend = box.querySelector("legend");
  box.replaceChildren(legend);
  if (!strategy) return;
  $("bt-description").textContent = strategy.description || "";
  const properties = (strategy.parameters_schema && strategy.parameters_schema.properties) || {};
  for (const [name, schema] of Object.entries(properties)) {
    const label = document.createElement("label");
    label.textContent = name.replace(/_/g, " ");
    label.title = schema.description || "";
    const input = document.createElement("input");
    input.name = name;
    input.dataset.type = schema.type;
    if (schema.type === "boolean") {
      input.type = "checkbox";
      input.checked = Boolean(schema.default);
      label.className = "inline";
    } else {
      input.inputMode = schema.type === "integer" ? "numeric" : "decimal";
      input.value = schema.default === undefined ? "" : String(schema.default);
      input.placeholder = [schema.minimum, schema.maximum].filter((v) => v !== undefined).join(" – ");
    }
    label.append(input);
    box.append(label);
  }
  if (!Object.keys(properties).length) {
    const none = document.createElement("p");
    none.className = "muted small";
    none.textContent = "This strategy takes no parameters.";
    box.append(none);
  }
}

function parameters() {
  const values = {};
  for (const input of $("bt-parameters").querySelectorAll("input")) {
    if (input.dataset.type === "boolean") values[input.name] = input.checked;
    else if (input.value.trim() !== "") values[input.name] = input.value.trim(); // parsed by the server
  }
  return values;
}

function showError(error) {
  const box = $("bt-error");
  box.replaceChildren();
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = error.message;
  box.append(p);
  const fields = error.details && error.details.fields;
  if (fields) {
    const ul = document.createElement("ul");
    for (const [field, messages] of Object.entries(fields)) {
      const li = document.createElement("li");
      li.textContent = `${field}: ${[].concat(messages).join(" ")}`;
      ul.append(li);
    }
    box.append(ul);
  }
  box.hidden = false;
}

function progress(backtest) {
  const p = backtest.progress || {};
  const percentage = Number(p.percentage || 0); // a bar's length
  $("bt-progress").value = percentage;
  $("bt-progress-label").textContent = `${backtest.status} · ${decimal(p.percentage || "0")} %${p.phase ? " · " + p.phase : ""}`;
  $("bt-progress-box").hidden = false;
}

async function launch(account) {
  $("bt-error").hidden = true;
  $("bt-run").disabled = true;
  const body = {
    account,
    strategy: $("bt-strategy").value,
    symbol: $("bt-symbol").value,
    interval: $("bt-interval").value,
    initial_capital: $("bt-capital").value.trim(),
    parameters: parameters(),
  };
  try {
    const started = await api("POST", "/backtests", { body });
    running = { backtest: started.backtest_id, operation: started.operation_id };
    $("bt-cancel").hidden = false;
    progress({ status: "pending", progress: { percentage: "0" } });
    await follow(running.backtest);
  } catch (error) {
    showError(error);
  } finally {
    running = null;
    $("bt-run").disabled = false;
    $("bt-cancel").hidden = true;
  }
}

async function follow(id) {
  for (;;) {
    const backtest = await api("GET", `/backtests/${id}`);
    progress(backtest);
    if (DONE.has(backtest.status)) {
      if (backtest.status === "completed") result(backtest);
      else showError(new Error(backtest.error ? backtest.error.message || String(backtest.error) : `The backtest was ${backtest.status}.`));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function cancel() {
  if (!running) return;
  try {
    await api("POST", `/operations/${running.operation}/cancel`);
  } catch (error) {
    showError(error);
  }
}

function result(backtest) {
  $("bt-title").textContent = `#${backtest.id} ${backtest.strategy} ${backtest.symbol} ${backtest.interval}`;
  $("bt-stats").replaceChildren(
    ...STATS.map(([key, label]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.dataset.stat = key;
      dd.textContent = backtest[key] === null || backtest[key] === undefined ? "–" : decimal(backtest[key]);
      div.append(dt, dd);
      return div;
    }),
  );
  $("bt-empty").hidden = true;
  if (chart) chart.set(backtest.equity_curve || []);
}
