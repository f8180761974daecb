// The console: overview, positions, orders and ticket, charts, risk and the kill switch; it signs
// in, opens the stream and hands the other pages (orders.js, overrides.js, backtests.js,
// deployments.js, audit.js) what they need.
import { ApiError, api, refresh, signOut } from "./session.js";
import { $, button as uiButton, confirmDialog, errorBlock, listOf, say, showError, violationList } from "./ui.js";
import { Stream } from "./stream.js";
import { cell, decimal, money, percent, placesOf, signedClass, subtract, time } from "./format.js";
import { DrawdownChart, EquityChart, PriceChart, chartsAvailable } from "./charts.js";
import { backtestsStart } from "./backtests.js";
import { overridesLoad, overridesStart } from "./overrides.js";
import { deploymentsFill, deploymentsMessage, deploymentsStart } from "./deployments.js";
import { auditShown, auditStart } from "./audit.js";
import { modifyOpen, modifyTrack, orderPrice, ordersHistoryStart } from "./orders.js";

const WORKING = new Set(["new", "pending", "open", "partially_filled", "pending_cancel"]);
const ACCOUNT_CHANNELS = ["orders", "fills", "positions", "balances", "portfolio", "risk", "deployments", "signals"];

const state = {
  me: null,
  account: null,
  instruments: new Map(),
  quotes: new Map(),
  orders: new Map(),
  settled: new Map(), // orders that left the working set, so a late reply cannot bring one back
  fills: [],
  positions: new Map(),
  portfolio: null,
  dayStartEquity: null,
  trading: null,
  chartSymbol: document.body.dataset.defaultSymbol,
};
let stream = null;
let priceChart = null;
let equityChart = null;
let drawdownChart = null;
let history = null; // the Orders page's order and fill pagers

// --- helpers -----------------------------------------------------------------------------------
function can(scope) {
  return Boolean(state.me && state.me.scopes.includes(scope));
}

function currencyOf(symbol) {
  const instrument = state.instruments.get(symbol);
  return instrument ? instrument.currency : undefined;
}

function pricePlaces(symbol) {
  const instrument = state.instruments.get(symbol);
  return instrument ? placesOf(instrument.tick_size) : undefined;
}

function throttled(fn, ms) {
  let timer = null;
  let pending = false;
  return () => {
    if (timer) {
      pending = true;
      return;
    }
    fn();
    timer = setTimeout(function again() {
      timer = null;
      if (pending) {
        pending = false;
        fn();
        timer = setTimeout(again, ms);
      }
    }, ms);
  };
}

function accountQuery(extra = {}) {
  return { account: state.account, ...extra };
}

// --- tabs --------------------------------------------------------------------------------------
function showTab() {
  let name = (window.location.hash || "#overview").slice(1);
  if (!document.querySelector(`.page[data-page="${CSS.escape(name)}"]`)) name = "overview"; // not offered to this user
  for (const page of document.querySelectorAll(".page")) page.hidden = page.dataset.page !== name;
  for (const link of document.querySelectorAll(".tabs a")) link.classList.toggle("active", link.dataset.tab === name);
  // A pending override requested by someone else publishes nothing: read them when looked at.
  if (name === "risk" && state.account !== null) refreshRisk();
  if (name === "audit" && state.account !== null) auditShown();
}

// --- overview ----------------------------------------------------------------------------------
function renderOverview() {
  const p = state.portfolio;
  if (p) {
    const m = (value) => money(value, p.currency);
    $("ov-equity").textContent = m(p.equity);
    $("ov-cash").textContent = `cash ${m(p.cash)} · positions ${m(p.positions_value)}`;
    $("ov-total-pnl").textContent = m(p.total_pnl);
    $("ov-total-pnl").className = "figure " + signedClass(p.total_pnl);
    $("ov-pnl-split").textContent = `realized ${m(p.realized_pnl)} · unrealized ${m(p.unrealized_pnl)}`;
    $("ov-gross").textContent = m(p.exposure.gross);
    $("ov-net").textContent = `net ${m(p.exposure.net)} · long ${m(p.exposure.long)} · short ${m(p.exposure.short)}`;
    $("ov-drawdown").textContent = percent(p.drawdown_pct);
    $("ov-zone").textContent = p.dd_zone;
    $("ov-zone").dataset.zone = p.dd_zone;
    $("ov-risk-level").textContent = `risk level ${p.risk_level}`;
    if (state.dayStartEquity !== null) {
      const day = subtract(p.equity, state.dayStartEquity);
      $("ov-day-pnl").textContent = money(day, p.currency);
      $("ov-day-pnl").className = "figure " + signedClass(day);
    }
  }
  $("ov-open-orders").textContent = String(state.orders.size);
  $("ov-open-positions").textContent = String(state.positions.size);
  renderTradingState();
}

function renderTradingState() {
  const t = state.trading;
  if (!t) return;
  const effective = t.effective_state || t.state;
  const badge = $("trading-state");
  badge.textContent = "trading " + effective;
  badge.dataset.state = effective;
  $("ov-trading").textContent = "trading " + effective;
  if (!$("kill-switch")) return; // not offered to this user
  $("ks-state").textContent = effective;
  $("ks-last").textContent = t.actor ? `Last change by ${t.actor}${t.reason ? ": “" + t.reason + "”" : ""}, ` : "No change recorded yet.";
  if (t.actor && t.changed_at) $("ks-last").append(time(t.changed_at, { withDate: true }));
}

const refreshBook = throttled(async () => {
  try {
    const [portfolio, positions] = await Promise.all([
      api("GET", "/portfolio", { query: accountQuery() }),
      api("GET", "/positions", { query: accountQuery() }),
    ]);
    state.portfolio = portfolio;
    state.positions = new Map(listOf(positions, "positions").map((p) => [p.symbol, p]));
    renderOverview();
    renderPositions();
  } catch (error) {
    showError(error);
  }
}, 1000);

async function loadEquity() {
  const today = new Date();
  const midnight = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())).toISOString();
  try {
    const [all, day] = await Promise.all([
      api("GET", "/portfolio/equity", { query: accountQuery({ limit: 500 }) }),
      api("GET", "/portfolio/equity", { query: accountQuery({ from: midnight, limit: 1 }) }),
    ]);
    const points = listOf(all, "results");
    const first = listOf(day, "results")[0];
    state.dayStartEquity = first ? first.equity : null;
    if (equityChart) equityChart.set(points);
    if (drawdownChart) drawdownChart.set(points);
    $("equity-empty").hidden = points.length > 0;
    $("equity-empty").textContent = "No equity history yet: it is recorded as the book changes.";
    renderOverview();
  } catch (error) {
    showError(error);
  }
}
const refreshEquity = throttled(loadEquity, 5000);

// --- quotes ------------------------------------------------------------------------------------
function renderQuote(quote) {
  const row = document.querySelector(`#quotes-table tr[data-symbol="${quote.symbol}"]`);
  if (!row) return;
  const places = pricePlaces(quote.symbol);
  const previous = state.quotes.get(quote.symbol);
  row.replaceChildren(
    cell(quote.symbol),
    cell(decimal(quote.bid, places), "num"),
    cell(decimal(quote.ask, places), "num"),
    cell(decimal(quote.last, places), "num"),
    cell(time(quote.timestamp)),
  );
  if (previous && previous.last !== quote.last) {
    row.classList.remove("tick");
    void row.offsetWidth; // restart the highlight animation
    row.classList.add("tick");
  }
  state.quotes.set(quote.symbol, quote);
}

function buildQuoteRows() {
  const tbody = document.querySelector("#quotes-table tbody");
  tbody.replaceChildren(
    ...[...state.instruments.keys()].map((symbol) => {
      const tr = document.createElement("tr");
      tr.dataset.symbol = symbol;
      tr.append(cell(symbol), cell("…", "num"), cell("…", "num"), cell("…", "num"), cell(""));
      return tr;
    }),
  );
}

// --- positions ---------------------------------------------------------------------------------
function renderPositions() {
  const tbody = document.querySelector("#positions-table tbody");
  const rows = [...state.positions.values()].map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.symbol = p.symbol;
    const places = pricePlaces(p.symbol);
    const actions = document.createElement("td");
    if (can("trade")) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Close";
      button.className = "small danger";
      button.addEventListener("click", () => closePosition(p.symbol, p.quantity));
      actions.append(button);
    }
    tr.append(
      cell(p.symbol),
      cell(p.side, "side-" + p.side),
      cell(decimal(p.quantity), "num"),
      cell(decimal(p.average_entry_price, places), "num"),
      cell(decimal(p.market_price, places), "num mark"),
      cell(money(p.market_value, currencyOf(p.symbol)), "num"),
      cell(money(p.unrealized_pnl, currencyOf(p.symbol)), signedClass(p.unrealized_pnl)),
      cell(percent(p.unrealized_pnl_pct), signedClass(p.unrealized_pnl_pct)),
      actions,
    );
    return tr;
  });
  tbody.replaceChildren(...rows);
  $("positions-empty").hidden = rows.length > 0;
  if ($("close-all")) $("close-all").hidden = rows.length === 0;
}

async function closePosition(symbol, quantity) {
  if (!(await confirmDialog(`Close ${symbol}?`, `A market order closes the whole position (${quantity}).`, "Close position"))) return;
  try {
    await api("DELETE", `/positions/${encodeURIComponent(symbol)}`, { query: accountQuery() });
    refreshBook();
  } catch (error) {
    showError(error);
  }
}

async function closeAll() {
  if (!(await confirmDialog("Close all positions?", `Market orders close all ${state.positions.size} open positions.`, "Close all"))) return;
  try {
    const results = listOf(await api("DELETE", "/positions", { query: accountQuery() }), "results");
    const failed = results.filter((r) => r.status_code >= 400);
    if (failed.length) showError(new Error(`${failed.length} position(s) could not be closed.`));
    refreshBook();
  } catch (error) {
    showError(error);
  }
}

// --- orders and fills --------------------------------------------------------------------------
function renderOrders() {
  const tbody = document.querySelector("#orders-table tbody");
  const orders = [...state.orders.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  tbody.replaceChildren(
    ...orders.map((order) => {
      const tr = document.createElement("tr");
      tr.dataset.orderId = order.id;
      const actions = document.createElement("td");
      if (can("trade") && order.status !== "pending_cancel") {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Cancel";
        button.className = "small";
        button.addEventListener("click", async () => {
          button.disabled = true;
          try {
            const canceled = await api("DELETE", `/orders/${order.id}`, { query: accountQuery() });
            applyOrder(canceled);
          } catch (error) {
            button.disabled = false;
            showError(error);
          }
        });
        actions.append(button);
        if (order.status === "open" || order.status === "partially_filled") {
          actions.append(" ", uiButton("Modify", () => modifyOpen(state.orders.get(order.id) || order)));
        }
      }
      tr.append(
        cell(time(order.created_at)),
        cell(order.symbol),
        cell(order.side, "side-" + order.side),
        cell(order.order_type),
        cell(decimal(order.quantity), "num"),
        cell(decimal(order.filled_quantity), "num"),
        cell(orderPrice(order, pricePlaces(order.symbol)), "num"),
        cell(order.status, "status"),
        actions,
      );
      return tr;
    }),
  );
  $("orders-empty").hidden = orders.length > 0;
  renderOverview();
}

function isStale(order, known) {
  // An answer can arrive after a newer stream update of the same order (a POST's reply behind
  // the venue's acceptance): keep the newer state.
  if (!known) return false;
  if ((known.version ?? 0) !== (order.version ?? 0)) return (known.version ?? 0) > (order.version ?? 0);
  return Boolean(known.updated_at && order.updated_at && known.updated_at > order.updated_at);
}

function applyOrder(order) {
  if (isStale(order, state.orders.get(order.id) ?? state.settled.get(order.id))) return;
  modifyTrack(order);
  if (!WORKING.has(order.status)) state.settled.set(order.id, order);
  if (WORKING.has(order.status)) state.orders.set(order.id, order);
  else state.orders.delete(order.id);
  renderOrders();
}

function renderFills() {
  const tbody = document.querySelector("#fills-table tbody");
  tbody.replaceChildren(
    ...state.fills.slice(0, 100).map((fill) => {
      const tr = document.createElement("tr");
      tr.dataset.fillId = fill.id;
      tr.append(
        cell(time(fill.executed_at)),
        cell(fill.symbol),
        cell(fill.side, "side-" + fill.side),
        cell(decimal(fill.quantity), "num"),
        cell(decimal(fill.price, pricePlaces(fill.symbol)), "num"),
        cell(money(fill.fee, fill.fee_currency), "num"),
        cell(fill.liquidity),
      );
      return tr;
    }),
  );
  $("fills-empty").hidden = state.fills.length > 0;
  if (priceChart) priceChart.markFills(state.fills.filter((f) => f.symbol === state.chartSymbol));
}

// The history's first page follows the stream (a later page stays put while it is read).
const refreshHistory = throttled(() => {
  if (!history) return;
  for (const pager of [history.orders, history.fills]) if (pager.cursors.length === 1) pager.go(0);
}, 2000);

// --- order ticket ------------------------------------------------------------------------------
let previewed = null; // the JSON of the payload the last preview answered for

function ticketPayload() {
  const type = $("t-type").value;
  const payload = {
    account: state.account,
    symbol: $("t-symbol").value.trim().toUpperCase(),
    side: $("t-side").value,
    order_type: type,
    time_in_force: $("t-tif").value,
    quantity: $("t-quantity").value.trim(),
  };
  if (type === "limit" || type === "stop_limit") payload.limit_price = $("t-limit").value.trim();
  if (type === "stop" || type === "stop_limit") payload.stop_price = $("t-stop").value.trim();
  return payload;
}

function ticketChanged() {
  const type = $("t-type").value;
  document.querySelector('[data-price="limit"]').hidden = !(type === "limit" || type === "stop_limit");
  document.querySelector('[data-price="stop"]').hidden = !(type === "stop" || type === "stop_limit");
  const instrument = state.instruments.get($("t-symbol").value.trim().toUpperCase());
  $("t-instrument").textContent = instrument
    ? `${instrument.name} · ${instrument.currency} · tick ${instrument.tick_size} · lot ${instrument.lot_size}${instrument.status !== "trading" ? " · " + instrument.status : ""}`
    : "";
  if (previewed !== JSON.stringify(ticketPayload())) {
    $("t-confirm").disabled = true;
    $("t-preview-result").hidden = true;
  }
}

async function preview() {
  const payload = ticketPayload();
  const box = $("t-preview-result");
  $("t-result").hidden = true;
  try {
    const result = await api("POST", "/orders/preview", { body: payload });
    const accepted = result.verdict === "accepted";
    const heading = document.createElement("p");
    heading.className = accepted ? "verdict ok" : "verdict error";
    heading.textContent = `Risk verdict: ${result.verdict}`;
    const figures = document.createElement("dl");
    for (const [label, value] of [
      ["Estimated price", decimal(result.estimated_price, pricePlaces(result.symbol))],
      ["Notional", money(result.notional, result.currency)],
      ["Fee", money(result.fee, result.currency)],
      ["Locks", money(result.locked_amount, result.currency)],
      ["Available", money(result.available, result.currency)],
    ]) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      figures.append(dt, dd);
    }
    box.replaceChildren(heading, figures, ...(result.violations.length ? [violationList(result.violations)] : []));
    box.hidden = false;
    previewed = JSON.stringify(payload);
    $("t-confirm").disabled = !accepted;
  } catch (error) {
    box.replaceChildren(errorBlock(error));
    box.hidden = false;
    $("t-confirm").disabled = true;
  }
}

async function placeOrder(event) {
  event.preventDefault();
  const payload = ticketPayload();
  if (previewed !== JSON.stringify(payload)) return;
  $("t-confirm").disabled = true;
  try {
    const order = await api("POST", "/orders", { body: payload });
    applyOrder(order);
    say($("t-result"), `Order ${order.id}: ${order.side} ${order.quantity} ${order.symbol} ${order.status}.`);
    $("t-preview-result").hidden = true;
    previewed = null;
  } catch (error) {
    const result = $("t-result");
    result.replaceChildren(errorBlock(error));
    result.className = "";
    result.hidden = false;
  }
}

// --- risk and kill switch ----------------------------------------------------------------------
function renderRisk(risk) {
  const limits = $("limits");
  limits.replaceChildren(
    ...risk.limits.map((limit) => {
      const row = document.createElement("div");
      row.className = "limit";
      row.dataset.limit = limit.name;
      const label = document.createElement("div");
      label.className = "limit-label";
      label.textContent = `${limit.name.replace(/_/g, " ")}: ${decimal(limit.used)} of ${decimal(limit.limit)} (${decimal(limit.utilization_pct)} %)`;
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = Math.min(100, Number(limit.utilization_pct)); // a bar's length, not money
      row.append(label, bar);
      return row;
    }),
  );
  const breaker = risk.circuit_breaker;
  $("breaker").textContent = breaker.tripped ? `Tripped: ${breaker.reason}` : "Not tripped.";
  if (breaker.tripped && breaker.tripped_at) $("breaker").append(" ", time(breaker.tripped_at, { withDate: true }));
}

const refreshRisk = throttled(async () => {
  try {
    const [risk, trading] = await Promise.all([
      api("GET", "/risk", { query: accountQuery() }),
      api("GET", "/trading", { query: accountQuery() }),
    ]);
    state.trading = trading;
    renderRisk(risk);
    renderTradingState();
    overridesLoad();
  } catch (error) {
    showError(error);
  }
}, 1000);

async function control(action) {
  const reason = $("ks-reason").value.trim();
  const out = $("ks-result");
  if (!reason) {
    say(out, "Give a reason: it goes to the audit log with your name.", "error");
    $("ks-reason").focus();
    return;
  }
  const labels = { stop: "Stop trading", start: "Start trading", "reduce-only": "Reduce only" };
  const body = { reason, account: state.account };
  let text = `Reason: “${reason}”.`;
  if (action === "stop") {
    body.cancel_orders = $("ks-cancel").checked;
    body.close_positions = $("ks-flatten").checked;
    text += (body.cancel_orders ? " Working orders are canceled." : "") + (body.close_positions ? " Open positions are closed at market." : "");
  }
  if (!(await confirmDialog(labels[action] + "?", text, labels[action]))) return;
  try {
    const result = await api("POST", `/trading/${action}`, { body });
    state.trading = result.state ? result : state.trading;
    say(out, `Trading ${result.effective_state || result.state || action}.`);
    refreshRisk();
    refreshBook();
  } catch (error) {
    say(out, error.message, "error");
  }
}

// --- the stream --------------------------------------------------------------------------------
function onStreamMessage(message) {
  if (message.type === "error") {
    showError(new Error(message.message));
    return;
  }
  const data = message.data;
  if (!data) return;
  switch (message.channel) {
    case "quotes":
      renderQuote(data);
      if (message.symbol === state.chartSymbol && priceChart) priceChart.quote(data);
      if (state.positions.has(data.symbol)) refreshBook();
      break;
    case "candles":
      if (priceChart && data.symbol === state.chartSymbol) priceChart.candle(data);
      break;
    case "orders":
      refreshHistory();
      if (message.type === "snapshot") {
        state.orders = new Map(listOf(data, "orders").filter((o) => WORKING.has(o.status)).map((o) => [o.id, o]));
        renderOrders();
      } else applyOrder(data);
      break;
    case "fills":
      if (message.type === "snapshot") state.fills = listOf(data, "fills");
      else {
        state.fills = [data, ...state.fills.filter((f) => f.id !== data.id)];
        deploymentsFill(data);
      }
      renderFills();
      refreshEquity();
      refreshHistory();
      break;
    case "positions":
    case "balances":
      refreshBook();
      break;
    case "portfolio":
      refreshBook();
      refreshEquity(); // the snapshot a fill writes may land after the fill's own event
      break;
    case "risk":
      refreshRisk();
      break;
    case "deployments":
    case "signals":
      deploymentsMessage(message);
      break;
  }
}

function onStreamState(name) {
  const indicator = $("connection");
  indicator.dataset.state = name;
  $("connection-label").textContent = name;
}

function followChartSymbol(symbol) {
  if (stream) stream.unsubscribeMarket("candles");
  state.chartSymbol = symbol;
  $("chart-symbol").textContent = symbol;
  if (priceChart) {
    priceChart.load(symbol, pricePlaces(symbol));
    priceChart.markFills(state.fills.filter((f) => f.symbol === symbol));
  }
  if (stream) stream.subscribeMarket("candles", { channel: "candles", symbols: [symbol], interval: "1m" });
}

// --- start -------------------------------------------------------------------------------------
async function start() {
  showTab();
  window.addEventListener("hashchange", showTab);
  $("signout").addEventListener("click", () => signOut());
  try {
    await refresh(); // the access token is only in memory: a page load starts from the refresh token
  } catch (error) {
    if (!(error instanceof ApiError)) showError(new Error("The server could not be reached."));
    return;
  }
  state.me = await api("GET", "/me");
  const accounts = state.me.accounts;
  const saved = Number(sessionStorage.getItem("dashboard.account"));
  state.account = (accounts.find((a) => a.id === saved) || accounts[0] || {}).id;
  $("whoami").textContent = `${state.me.user ? state.me.user.username : "?"} · ${state.me.roles.join(", ")}`;
  if (accounts.length > 1) {
    const select = $("account-select");
    select.replaceChildren(...accounts.map((a) => new Option(`${a.name} (${a.base_currency})`, a.id, false, a.id === state.account)));
    select.hidden = false;
    select.addEventListener("change", () => {
      sessionStorage.setItem("dashboard.account", select.value);
      window.location.reload();
    });
  }
  if (state.account === undefined) {
    showError(new Error("Your user is not a member of any account: ask an administrator to add you."));
    return;
  }
  for (const element of document.querySelectorAll("[data-needs]")) {
    if (!can(element.dataset.needs)) element.remove(); // the server refuses it anyway
  }
  const kill = $("kill-switch");
  if (kill) kill.hidden = false;

  const instruments = listOf(await api("GET", "/instruments", { query: { limit: 500 } }), "results");
  state.instruments = new Map(instruments.map((i) => [i.symbol, i]));
  if (!state.instruments.has(state.chartSymbol) && instruments.length) state.chartSymbol = instruments[0].symbol;
  buildQuoteRows();
  $("chart-select").replaceChildren(...instruments.map((i) => new Option(i.symbol, i.symbol, false, i.symbol === state.chartSymbol)));

  if (chartsAvailable()) {
    priceChart = new PriceChart($("price-chart"));
    equityChart = new EquityChart($("equity-chart"));
    drawdownChart = new DrawdownChart($("drawdown-chart"));
  } else {
    $("charts-missing").hidden = false;
  }

  $("symbol-list").replaceChildren(...instruments.map((i) => new Option(i.name, i.symbol)));
  if ($("ticket")) {
    $("t-symbol").value = state.chartSymbol;
    for (const id of ["t-symbol", "t-side", "t-type", "t-tif", "t-quantity", "t-limit", "t-stop"]) {
      $(id).addEventListener("input", ticketChanged);
      $(id).addEventListener("change", ticketChanged);
    }
    $("t-preview").addEventListener("click", preview);
    $("ticket").addEventListener("submit", placeOrder);
    ticketChanged();
  }
  history = ordersHistoryStart({ account: state.account, pricePlaces, applyOrder });
  history.orders.reset();
  history.fills.reset();
  overridesStart({
    account: state.account,
    username: state.me.user ? state.me.user.username : null,
    canControl: can("control"),
    onChange: () => refreshRisk(),
  });
  auditStart();
  if ((window.location.hash || "").slice(1) === "audit") auditShown();
  deploymentsStart({ account: state.account, canTrade: can("trade"), currencyOf }).catch(showError);
  if ($("close-all")) $("close-all").addEventListener("click", closeAll);
  if ($("ks-stop")) {
    $("ks-stop").addEventListener("click", () => control("stop"));
    $("ks-start").addEventListener("click", () => control("start"));
    $("ks-reduce").addEventListener("click", () => control("reduce-only"));
  }
  $("chart-select").addEventListener("change", (event) => followChartSymbol(event.target.value));

  stream = new Stream({ account: state.account, accountChannels: ACCOUNT_CHANNELS, onMessage: onStreamMessage, onState: onStreamState });
  stream.subscribeMarket("quotes", { channel: "quotes", symbols: [...state.instruments.keys()] });
  followChartSymbol(state.chartSymbol);
  stream.start();
  refreshBook();
  refreshRisk();
  loadEquity();
  await backtestsStart({ account: state.account, symbols: [...state.instruments.keys()], defaultSymbol: state.chartSymbol, currencyOf, pricePlaces });
}

start().catch(showError);
