// The Orders page's history: modify an open order (PATCH with If-Match), and the account's orders
// and fills with filters and cursor paging.
import { api } from "./session.js";
import { cell, decimal, money, time } from "./format.js";
import { $, Pager, isoFromLocal, showErrorIn } from "./ui.js";

let ctx = null; // {account, pricePlaces, currencyOf, applyOrder}
let editing = null; // the order the modify dialog was opened on

export function orderPrice(order, places) {
  if (order.order_type === "market") return order.average_fill_price ? decimal(order.average_fill_price, places) : "market";
  if (order.order_type === "stop") return "stop " + decimal(order.stop_price, places);
  if (order.order_type === "stop_limit") return `${decimal(order.stop_price, places)} / ${decimal(order.limit_price, places)}`;
  return decimal(order.limit_price, places);
}

export function ordersHistoryStart(context) {
  ctx = context;
  const orders = new Pager({
    table: $("order-history"),
    empty: $("order-history-empty"),
    older: $("oh-older"),
    newer: $("oh-newer"),
    label: $("oh-page"),
    columns: 9,
    load: (cursor) => api("GET", "/orders", { query: { ...filters("oh"), status: $("oh-status").value, side: $("oh-side").value, cursor } }),
    row: orderRow,
  });
  const fills = new Pager({
    table: $("fill-history"),
    empty: $("fill-history-empty"),
    older: $("fh-older"),
    newer: $("fh-newer"),
    label: $("fh-page"),
    columns: 8,
    load: (cursor) => api("GET", "/fills", { query: { ...filters("fh"), order: $("fh-order").value.trim(), cursor } }),
    row: fillRow,
  });
  $("oh-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    orders.reset();
  });
  $("fh-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    fills.reset();
  });
  $("modify-form").addEventListener("submit", submitModify);
  $("modify-cancel").addEventListener("click", () => $("modify-dialog").close());
  return { orders, fills };
}

function filters(prefix) {
  return {
    account: ctx.account,
    limit: $(`${prefix}-limit`).value,
    symbol: $(`${prefix}-symbol`).value.trim().toUpperCase(),
    from: isoFromLocal($(`${prefix}-from`).value),
    to: isoFromLocal($(`${prefix}-to`).value),
  };
}

function orderRow(order) {
  const tr = document.createElement("tr");
  tr.dataset.orderId = order.id;
  const why = order.reject_reason ? `${order.status}: ${order.reject_reason}` : order.status;
  tr.append(
    cell(time(order.created_at, { withDate: true })),
    cell(String(order.id)),
    cell(order.symbol),
    cell(order.side, "side-" + order.side),
    cell(order.order_type + " · " + order.time_in_force),
    cell(decimal(order.quantity), "num"),
    cell(decimal(order.filled_quantity), "num"),
    cell(orderPrice(order, ctx.pricePlaces(order.symbol)), "num"),
    cell(why, "status"),
  );
  return tr;
}

function fillRow(fill) {
  const tr = document.createElement("tr");
  tr.dataset.fillId = fill.id;
  tr.append(
    cell(time(fill.executed_at, { withDate: true })),
    cell(String(fill.order_id)),
    cell(fill.symbol),
    cell(fill.side, "side-" + fill.side),
    cell(decimal(fill.quantity), "num"),
    cell(decimal(fill.price, ctx.pricePlaces(fill.symbol)), "num"),
    cell(money(fill.fee, fill.fee_currency), "num"),
    cell(fill.liquidity),
  );
  return tr;
}

// --- modify ------------------------------------------------------------------------------------
/** Open the modify dialog on a working order: quantity and the prices its type has. */
export function modifyOpen(order) {
  editing = order;
  $("modify-title").textContent = `Modify order ${order.id}: ${order.side} ${order.symbol} ${order.order_type}`;
  $("m-quantity").value = order.quantity;
  $("m-limit").value = order.limit_price || "";
  $("m-stop").value = order.stop_price || "";
  $("m-limit-label").hidden = !(order.order_type === "limit" || order.order_type === "stop_limit");
  $("m-stop-label").hidden = !(order.order_type === "stop" || order.order_type === "stop_limit");
  $("m-version").textContent = `version ${order.version}, filled ${decimal(order.filled_quantity)}`;
  $("modify-error").hidden = true;
  $("modify-dialog").showModal();
}

/** A newer state of the order being edited arrived (the stream): say so, keep the If-Match. */
export function modifyTrack(order) {
  if (editing && editing.id === order.id && (order.version ?? 0) > (editing.version ?? 0)) {
    $("m-version").textContent = `version ${editing.version}; the order moved on to version ${order.version} since: modifying now is refused`;
  }
}

async function submitModify(event) {
  event.preventDefault();
  const order = editing;
  const body = {};
  const changed = (id, field) => {
    const value = $(id).value.trim();
    if (!$(id).closest("label").hidden && value !== "" && value !== (order[field] || "")) body[field] = value;
  };
  changed("m-quantity", "quantity");
  changed("m-limit", "limit_price");
  changed("m-stop", "stop_price");
  if (!Object.keys(body).length) {
    $("modify-dialog").close();
    return;
  }
  $("m-submit").disabled = true;
  try {
    // If-Match: the version this form was filled from; a change in between is 412, not lost.
    const modified = await api("PATCH", `/orders/${order.id}`, { body, query: { account: ctx.account }, ifMatch: order.version });
    ctx.applyOrder(modified);
    editing = null;
    $("modify-dialog").close();
  } catch (error) {
    showErrorIn($("modify-error"), error);
    if (error.code === "VERSION_MISMATCH") {
      try {
        modifyOpenFresh(await api("GET", `/orders/${order.id}`, { query: { account: ctx.account } }));
      } catch {
        // the error above is what the user needs to read
      }
    }
  } finally {
    $("m-submit").disabled = false;
  }
}

function modifyOpenFresh(order) {
  ctx.applyOrder(order);
  editing = order;
  $("m-version").textContent = `version ${order.version}, filled ${decimal(order.filled_quantity)} (reloaded: check the values)`;
}
