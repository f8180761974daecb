// The backtests page: a launch form generated from the strategy's parameter schema (a parameter
// given as a comma-separated list makes it a sweep), a progress bar (the run or sweep polled while
// it runs) with cancel, the result (statistics, equity and drawdown curves, trade list), the
// history, a side-by-side comparison of two runs and a sweep's runs ranked.
import { api } from "./session.js";
import { cell, decimal, money, percent, time } from "./format.js";
import { DrawdownChart, EquityChart, chartsAvailable } from "./charts.js";
import { $, Pager, button, listOf, showErrorIn } from "./ui.js";

const POLL_MS = 500;
const DONE = new Set(["completed", "failed", "cancelled"]);
// [key, label, format, better]: better is "high" or "low" for the comparison's highlight.
const STATS = [
  ["total_return_pct", "Total return", "pct", "high"],
  ["cagr_pct", "CAGR", "pct", "high"],
  ["sharpe_ratio", "Sharpe", "ratio", "high"],
  ["sortino_ratio", "Sortino", "ratio", "high"],
  ["max_drawdown_pct", "Max drawdown", "pct", "low"],
  ["win_rate", "Win rate", "pct", "high"],
  ["profit_factor", "Profit factor", "ratio", "high"],
  ["exposure_pct", "Exposure", "pct", null],
  ["total_trades", "Trades", "count", null],
  ["final_equity", "Final equity", "money", "high"],
  ["total_fees", "Fees", "money", "low"],
];
const RANKABLE = STATS.map(([key]) => key);

let ctx = null; // {account, symbols, defaultSymbol, currencyOf, pricePlaces}
let strategies = [];
let charts = null; // {equity, drawdown}
let running = null; // {operation}
let history = null;
const chosen = new Map(); // id -> summary, the runs ticked for comparison (two at most)

export async function backtestsStart(context) {
  ctx = context;
  strategies = listOf(await api("GET", "/strategies"), "results");
  if (chartsAvailable()) charts = { equity: new EquityChart($("bt-chart")), drawdown: new DrawdownChart($("bt-dd-chart")) };
  $("bh-strategy").replaceChildren(new Option("any", ""), ...strategies.map((s) => new Option(s.title || s.name, s.name)));
  history = new Pager({
    table: $("bt-history"),
    empty: $("bt-history-empty"),
    older: $("bh-older"),
    newer: $("bh-newer"),
    label: $("bh-page"),
    columns: 11,
    load: (cursor) =>
      api("GET", "/backtests", {
        query: { account: ctx.account, limit: 10, strategy: $("bh-strategy").value, symbol: $("bh-symbol").value.trim().toUpperCase(), cursor },
      }),
    row: historyRow,
  });
  $("bh-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    history.reset();
  });
  $("bt-compare").addEventListener("click", compare);
  $("sw-rerank").addEventListener("change", () => showSweep(Number($("bt-sweep").dataset.sweep), $("sw-rerank").value));
  $("sw-rerank").replaceChildren(...RANKABLE.map((key) => new Option(label(key), key)));
  history.reset();
  if (!$("bt-form")) return; // a viewer reads the history, and cannot start a run
  $("bt-strategy").replaceChildren(...strategies.map((s) => new Option(s.title || s.name, s.name)));
  $("sw-rank").replaceChildren(...RANKABLE.map((key) => new Option(label(key), key, false, key === "sharpe_ratio")));
  $("bt-symbol").replaceChildren(...ctx.symbols.map((s) => new Option(s, s, false, s === ctx.defaultSymbol)));
  $("bt-strategy").addEventListener("change", parameterFields);
  parameterFields();
  $("bt-form").addEventListener("submit", (event) => {
    event.preventDefault();
    launch(event.submitter && event.submitter.id === "bt-sweep-run" ? "sweep" : "backtest");
  });
  $("bt-cancel").addEventListener("click", cancel);
}

function label(key) {
  return (STATS.find(([k]) => k === key) || [key, key])[1];
}

function stat(run, key) {
  const value = run[key];
  const format = (STATS.find(([k]) => k === key) || [])[2];
  if (value === null || value === undefined) return "–";
  if (format === "pct") return percent(value);
  if (format === "money") return money(value, ctx.currencyOf(run.symbol));
  if (format === "count") return String(value);
  return decimal(value);
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
    const field = document.createElement("label");
    field.textContent = name.replace(/_/g, " ");
    field.title = schema.description || "";
    const input = document.createElement("input");
    input.name = name;
    input.dataset.type = schema.type;
    if (schema.type === "boolean") {
      input.type = "checkbox";
      input.checked = Boolean(schema.default);
      field.className = "inline";
    } else {
      input.inputMode = schema.type === "integer" ? "numeric" : "decimal";
      input.value = schema.default === undefined ? "" : String(schema.default);
      input.placeholder = [schema.minimum, schema.maximum].filter((v) => v !== undefined).join(" – ");
    }
    field.append(input);
    box.append(field);
  }
  if (!Object.keys(properties).length) {
    const none = document.createElement("p");
    none.className = "muted small";
    none.textContent = "This strategy takes no parameters.";
    box.append(none);
  }
}

/** The form's parameters, and the grid of those given as comma-separated lists (a sweep). */
function parameters() {
  const values = {};
  const grid = {};
  for (const input of $("bt-parameters").querySelectorAll("input")) {
    if (input.dataset.type === "boolean") values[input.name] = input.checked;
    else if (input.value.includes(",")) grid[input.name] = input.value.split(",").map((v) => v.trim()).filter(Boolean);
    else if (input.value.trim() !== "") values[input.name] = input.value.trim(); // parsed by the server
  }
  return { values, grid };
}

function progress(run) {
  const p = run.progress || {};
  $("bt-progress").value = Number(p.percentage || 0); // a bar's length
  const items = p.items_total ? ` · ${p.items_done || 0} of ${p.items_total}` : "";
  $("bt-progress-label").textContent = `${run.status} · ${decimal(p.percentage || "0")} %${p.phase && p.phase !== run.status ? " · " + p.phase : ""}${items}`;
  $("bt-progress-box").hidden = false;
}

async function launch(kind) {
  $("bt-error").hidden = true;
  const { values, grid } = parameters();
  const body = {
    account: ctx.account,
    strategy: $("bt-strategy").value,
    symbol: $("bt-symbol").value,
    interval: $("bt-interval").value,
    initial_capital: $("bt-capital").value.trim(),
    parameters: values,
  };
  if (kind === "sweep") {
    if (!Object.keys(grid).length) {
      showErrorIn($("bt-error"), new Error("A sweep needs at least one parameter given as a comma-separated list, e.g. fast 5, 10, 20."));
      return;
    }
    Object.assign(body, { grid, rank_by: $("sw-rank").value });
  } else if (Object.keys(grid).length) {
    showErrorIn($("bt-error"), new Error(`${Object.keys(grid).join(", ")}: one value each for a backtest; lists are for a sweep (Run sweep).`));
    return;
  }
  for (const id of ["bt-run", "bt-sweep-run"]) $(id).disabled = true;
  try {
    if (kind === "sweep") {
      const started = await api("POST", "/backtests/sweeps", { body });
      running = { operation: started.operation_id };
      $("bt-cancel").hidden = false;
      progress({ status: "pending", progress: { percentage: "0" } });
      await follow(`/backtests/sweeps/${started.sweep_id}`, (sweep) => showSweep(sweep.id));
    } else {
      const started = await api("POST", "/backtests", { body });
      running = { operation: started.operation_id };
      $("bt-cancel").hidden = false;
      progress({ status: "pending", progress: { percentage: "0" } });
      await follow(`/backtests/${started.backtest_id}`, (backtest) => showResult(backtest));
    }
  } catch (error) {
    showErrorIn($("bt-error"), error);
  } finally {
    running = null;
    for (const id of ["bt-run", "bt-sweep-run"]) $(id).disabled = false;
    $("bt-cancel").hidden = true;
    history.reset();
  }
}

async function follow(path, done) {
  for (;;) {
    const run = await api("GET", path, { query: { account: ctx.account } });
    progress(run);
    if (DONE.has(run.status)) {
      if (run.status === "completed") done(run);
      else showErrorIn($("bt-error"), new Error(run.error ? run.error.message || String(run.error) : `The run was ${run.status}.`));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS)); // the next poll, not a wait on a result
  }
}

async function cancel() {
  if (!running) return;
  try {
    await api("POST", `/operations/${running.operation}/cancel`);
  } catch (error) {
    showErrorIn($("bt-error"), error);
  }
}

// --- one run -----------------------------------------------------------------------------------
async function open(id) {
  try {
    showResult(await api("GET", `/backtests/${id}`, { query: { account: ctx.account } }));
  } catch (error) {
    showErrorIn($("bt-error"), error);
  }
}

function parametersText(run) {
  return Object.entries(run.parameters || {})
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

function showResult(backtest) {
  $("bt-title").textContent = `#${backtest.id} ${backtest.strategy} ${backtest.symbol} ${backtest.interval} · ${parametersText(backtest)}`;
  $("bt-result").dataset.backtest = String(backtest.id);
  $("bt-stats").replaceChildren(
    ...STATS.map(([key, text]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = text;
      const dd = document.createElement("dd");
      dd.dataset.stat = key;
      dd.textContent = stat(backtest, key);
      div.append(dt, dd);
      return div;
    }),
  );
  $("bt-empty").hidden = true;
  $("bt-curves").hidden = false;
  if (charts) {
    charts.equity.set(backtest.equity_curve || []);
    charts.drawdown.set(backtest.drawdown_curve || []);
  }
  const ccy = ctx.currencyOf(backtest.symbol);
  const places = ctx.pricePlaces(backtest.symbol);
  const trades = [...(backtest.trades || []), ...(backtest.open_trade ? [{ ...backtest.open_trade, open: true }] : [])];
  $("bt-trades").querySelector("tbody").replaceChildren(
    ...trades.map((t, index) => {
      const tr = document.createElement("tr");
      tr.append(
        cell(String(index + 1)),
        cell(t.side, "side-" + t.side),
        cell(decimal(t.quantity), "num"),
        cell(time(t.entry_time, { withDate: true })),
        cell(decimal(t.entry_price, places), "num"),
        cell(t.open ? "open" : time(t.exit_time, { withDate: true })),
        cell(decimal(t.exit_price, places), "num"),
        cell(money(t.pnl, ccy), `num ${Number(t.pnl) < 0 ? "down" : Number(t.pnl) > 0 ? "up" : ""}`),
        cell(percent(t.pnl_pct), "num"),
        cell(money(t.fees, ccy), "num"),
      );
      return tr;
    }),
  );
  $("bt-trades-empty").hidden = trades.length > 0;
}

// --- history and comparison -------------------------------------------------------------------
function historyRow(run) {
  const tr = document.createElement("tr");
  tr.dataset.backtest = String(run.id);
  const pick = document.createElement("input");
  pick.type = "checkbox";
  pick.setAttribute("aria-label", `compare run ${run.id}`);
  pick.checked = chosen.has(run.id);
  pick.disabled = run.status !== "completed";
  pick.addEventListener("change", () => {
    if (pick.checked) chosen.set(run.id, run);
    else chosen.delete(run.id);
    while (chosen.size > 2) chosen.delete(chosen.keys().next().value); // the two newest ticks
    for (const box of $("bt-history").querySelectorAll("tbody input[type=checkbox]")) {
      box.checked = chosen.has(Number(box.closest("tr").dataset.backtest));
    }
    $("bt-compare").disabled = chosen.size !== 2;
  });
  const actions = document.createElement("td");
  if (run.status === "completed") actions.append(button("Open", () => open(run.id)));
  if (run.sweep) actions.append(" ", button(`Sweep ${run.sweep}`, () => showSweep(run.sweep)));
  tr.append(
    cell(pick),
    cell(String(run.id)),
    cell(time(run.created_at, { withDate: true })),
    cell(run.strategy),
    cell(`${run.symbol} ${run.interval}`),
    cell(parametersText(run)),
    cell(run.status, "status"),
    cell(stat(run, "total_return_pct"), "num"),
    cell(stat(run, "sharpe_ratio"), "num"),
    cell(stat(run, "max_drawdown_pct"), "num"),
    actions,
  );
  return tr;
}

function better(a, b, direction) {
  if (!direction || a === null || b === null || a === undefined || b === undefined) return 0;
  const difference = Number(a) - Number(b); // which is larger, for a highlight only
  if (difference === 0) return 0;
  return (difference > 0) === (direction === "high") ? -1 : 1;
}

function compare() {
  const [a, b] = [...chosen.values()].sort((x, y) => x.id - y.id);
  const table = $("bt-comparison");
  table.querySelector("thead").replaceChildren(headRow(["", `#${a.id}`, `#${b.id}`]));
  const rows = [
    ["Strategy", a.strategy, b.strategy],
    ["Market", `${a.symbol} ${a.interval}`, `${b.symbol} ${b.interval}`],
    ["Parameters", parametersText(a), parametersText(b)],
    ["Capital", money(a.initial_capital, ctx.currencyOf(a.symbol)), money(b.initial_capital, ctx.currencyOf(b.symbol))],
    ["Bars", String(a.bars ?? "–"), String(b.bars ?? "–")],
  ].map(([name, x, y]) => {
    const tr = document.createElement("tr");
    tr.append(cell(name), cell(x), cell(y));
    return tr;
  });
  for (const [key, text, , direction] of STATS) {
    const tr = document.createElement("tr");
    tr.dataset.stat = key;
    const winner = better(a[key], b[key], direction);
    tr.append(cell(text), cell(stat(a, key), "num" + (winner < 0 ? " best" : "")), cell(stat(b, key), "num" + (winner > 0 ? " best" : "")));
    rows.push(tr);
  }
  table.querySelector("tbody").replaceChildren(...rows);
  $("bt-comparison-box").hidden = false;
  $("bt-comparison-box").scrollIntoView({ block: "nearest" });
}

function headRow(labels) {
  const tr = document.createElement("tr");
  for (const text of labels) {
    const th = document.createElement("th");
    th.textContent = text;
    tr.append(th);
  }
  return tr;
}

// --- sweeps ------------------------------------------------------------------------------------
async function showSweep(id, rankBy) {
  let sweep;
  try {
    sweep = await api("GET", `/backtests/sweeps/${id}`, { query: { account: ctx.account, rank_by: rankBy } });
  } catch (error) {
    showErrorIn($("bt-error"), error);
    return;
  }
  $("bt-sweep").dataset.sweep = String(sweep.id);
  $("sw-title").textContent = `#${sweep.id} ${sweep.strategy} ${sweep.symbol} ${sweep.interval} · ${sweep.combinations} combinations · ${sweep.status}`;
  $("sw-rerank").value = sweep.rank_by;
  $("sw-table").dataset.rankBy = sweep.rank_by;
  const grid = Object.keys(sweep.grid || {});
  const others = ["total_return_pct", "max_drawdown_pct", "total_trades"].filter((key) => key !== sweep.rank_by);
  $("sw-table").querySelector("thead").replaceChildren(headRow(["Rank", "Run", ...grid, label(sweep.rank_by), ...others.map(label), ""]));
  $("sw-table").querySelector("tbody").replaceChildren(
    ...sweep.results.map((run) => {
      const tr = document.createElement("tr");
      tr.dataset.backtest = String(run.id);
      tr.dataset.rank = String(run.rank);
      const actions = document.createElement("td");
      if (run.status === "completed") actions.append(button("Open", () => open(run.id)));
      tr.append(
        cell(String(run.rank)),
        cell(`#${run.id}`),
        ...grid.map((name) => cell(String(run.parameters[name]), "num")),
        cell(stat(run, sweep.rank_by), "num rank-by"),
        ...others.map((key) => cell(stat(run, key), "num")),
        actions,
      );
      return tr;
    }),
  );
  $("bt-sweep").hidden = false;
}
