// The live stream (/ws/v1/stream, docs/streaming.md): authenticate with the JWT, subscribe,
// resume each account channel from its last seq after a drop, back off with jitter.
import { accessToken, refresh } from "./session.js";

export class Stream {
  constructor({ account, accountChannels, onMessage, onState }) {
    this.account = account;
    this.accountChannels = accountChannels;
    this.marketSubscriptions = new Map(); // key -> subscribe message
    this.lastSeq = new Map(); // account channel -> last seq seen
    this.onMessage = onMessage;
    this.onState = onState;
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
  }

  /** Follow a market channel (quotes, candles...) now and after every reconnect. */
  subscribeMarket(key, message) {
    this.marketSubscriptions.set(key, message);
    this.send({ action: "subscribe", ...message });
  }

  unsubscribeMarket(key) {
    const message = this.marketSubscriptions.get(key);
    if (!message) return;
    this.marketSubscriptions.delete(key);
    this.send({ action: "unsubscribe", ...message });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.authenticated) {
      this.socket.send(JSON.stringify(message));
    }
  }

  async connect() {
    if (this.stopped) return;
    this.onState(this.attempt ? "reconnecting" : "connecting");
    let token;
    try {
      token = await accessToken();
    } catch {
      this.retry();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/v1/stream`);
    this.socket = socket;
    this.authenticated = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ action: "authenticate", token }));
    });
    socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  receive(message) {
    if (message.type === "authenticated") {
      this.authenticated = true;
      this.attempt = 0;
      this.onState("live");
      for (const channel of this.accountChannels) {
        const since = this.lastSeq.get(channel);
        const base = { channel, account: this.account };
        this.send(since === undefined ? { action: "subscribe", ...base } : { action: "resume", ...base, since_seq: since });
      }
      for (const message of this.marketSubscriptions.values()) this.send({ action: "subscribe", ...message });
      return;
    }
    if (message.account !== undefined && message.seq !== undefined && this.accountChannels.includes(message.channel)) {
      if (message.type === "snapshot" || message.type === "update") this.lastSeq.set(message.channel, message.seq);
    }
    this.onMessage(message);
  }

  async closed(socket, code) {
    if (socket !== this.socket || this.stopped) return;
    this.onState("offline");
    if (code === 4401) {
      // The token was refused or revoked (logout closes every JWT socket): refresh, or sign-in.
      try {
        await refresh();
      } catch {
        return; // the session ended; the page is going to sign-in
      }
    }
    this.retry(code === 4503 ? 5000 : 500);
  }

  retry(base = 500) {
    this.attempt += 1;
    const delay = Math.min(10000, base * 2 ** Math.min(this.attempt - 1, 5)) * (0.5 + Math.random() / 2);
    this.onState("reconnecting");
    setTimeout(() => this.connect(), delay);
  }
}
