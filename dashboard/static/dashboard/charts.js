// Price (candles, live, with the account's fills marked) and equity charts on lightweight-charts,
// which `make install` copies from node_modules (window.LightweightCharts). Prices become numbers
// here only to be drawn: nothing is computed from them.
import { api } from "./session.js";

const LWC = () => window.LightweightCharts;

export function chartsAvailable() {
  return Boolean(LWC());
}

const seconds = (iso) => Math.floor(new Date(iso).getTime() / 1000);

function baseOptions() {
  const local = (t) => new Date(t * 1000);
  return {
    autoSize: true,
    layout: { background: { color: "transparent" }, textColor: "#c9d3df" },
    grid: { vertLines: { color: "#1f2a37" }, horzLines: { color: "#1f2a37" } },
    timeScale: {
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (t) => local(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    },
    // The browser's zone, as everywhere on the dashboard.
    localization: { timeFormatter: (t) => local(t).toLocaleString() },
  };
}

export class PriceChart {
  constructor(container) {
    const lib = LWC();
    this.container = container;
    this.chart = lib.createChart(container, baseOptions());
    this.series = this.chart.addSeries(lib.CandlestickSeries, {
      upColor: "#2fb67c",
      downColor: "#e5534b",
      wickUpColor: "#2fb67c",
      wickDownColor: "#e5534b",
      borderVisible: false,
    });
    this.markers = lib.createSeriesMarkers(this.series, []);
    this.last = null;
    this.symbol = null;
    this.fills = [];
  }

  async load(symbol, places) {
    this.symbol = symbol;
    this.last = null;
    const precision = places === undefined ? 2 : places;
    this.series.applyOptions({ priceFormat: { type: "price", precision, minMove: 1 / 10 ** precision } });
    const body = await api("GET", `/candles/${encodeURIComponent(symbol)}`, { query: { interval: "1m", limit: 500 } });
    if (this.symbol !== symbol) return;
    const bars = (body.results || []).map(toBar);
    this.series.setData(bars);
    this.last = bars.length ? bars[bars.length - 1] : null;
    this.container.dataset.bars = String(bars.length);
    this.applyMarkers();
  }

  /** A candle from the `candles` channel: the feed's word for its minute. */
  candle(data) {
    this.put(toBar(data));
  }

  /** A quote moves the current minute's bar (last trade price) until the candle arrives. */
  quote(data) {
    if (!data.last || !data.timestamp) return;
    const price = Number(data.last);
    const minute = Math.floor(seconds(data.timestamp) / 60) * 60;
    const last = this.last;
    if (last && last.time === minute) {
      this.put({ ...last, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price });
    } else if (!last || minute > last.time) {
      this.put({ time: minute, open: price, high: price, low: price, close: price });
    }
  }

  put(bar) {
    if (this.last && bar.time < this.last.time) return; // an old candle: the chart only appends
    this.series.update(bar);
    this.last = bar;
    this.container.dataset.lastClose = String(bar.close);
    this.container.dataset.lastTime = String(bar.time);
  }

  markFills(fills) {
    this.fills = fills;
    this.applyMarkers();
  }

  applyMarkers() {
    const markers = this.fills
      .map((f) => ({
        time: Math.floor(seconds(f.executed_at) / 60) * 60,
        position: f.side === "buy" ? "belowBar" : "aboveBar",
        color: f.side === "buy" ? "#2fb67c" : "#e5534b",
        shape: f.side === "buy" ? "arrowUp" : "arrowDown",
        text: `${f.side} ${f.quantity} @ ${f.price}`,
      }))
      .sort((a, b) => a.time - b.time);
    this.markers.setMarkers(markers);
    this.container.dataset.markers = String(markers.length);
  }
}

function toBar(row) {
  return {
    time: seconds(row.timestamp),
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    close: Number(row.close),
  };
}

/** A line over time: one point per second at most (the chart needs strictly rising times). */
class CurveChart {
  constructor(container, { color, value, area = false, precision = 2 }) {
    const lib = LWC();
    this.container = container;
    this.value = value;
    this.chart = lib.createChart(container, baseOptions());
    const options = { lineWidth: 2, priceFormat: { type: "price", precision, minMove: 1 / 10 ** precision } };
    this.series = area
      ? this.chart.addSeries(lib.AreaSeries, { ...options, lineColor: color, topColor: color + "10", bottomColor: color + "60", invertFilledArea: true })
      : this.chart.addSeries(lib.LineSeries, { ...options, color });
  }

  set(points) {
    const bySecond = new Map();
    for (const p of points) {
      const value = this.value(p);
      if (value !== null && value !== undefined) bySecond.set(seconds(p.timestamp), Number(value)); // the newest wins
    }
    const data = [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
    this.series.setData(data);
    this.chart.timeScale().fitContent();
    this.container.dataset.points = String(data.length);
  }
}

/** Equity over time (`{timestamp, equity}` points). */
export class EquityChart extends CurveChart {
  constructor(container) {
    super(container, { color: "#5b9cf6", value: (p) => p.equity });
  }
}

/** Drawdown below the running peak, drawn under zero (`{timestamp, drawdown_pct}` points). */
export class DrawdownChart extends CurveChart {
  constructor(container) {
    super(container, {
      color: "#e5534b",
      area: true,
      value: (p) => (p.drawdown_pct === null || p.drawdown_pct === undefined ? null : -Math.abs(Number(p.drawdown_pct))),
    });
  }
}
