// The socket.io link to Rasa's socketio channel (session persistence on): every (re)connect
// asks for our own session id again, so a reconnect continues the same conversation.
import { io } from "socket.io-client";

export class Connection {
  /**
   * @param {object} options serverUrl, socketPath, token, tokenUrl, sessionId and the callbacks
   *   onMessage(botMessage), onStatus("connecting" | "online" | "offline"), onSessionChanged(id),
 *   onRejected() when the server refused a message, onResumed() when the server confirmed the
   *   session we already had (a reconnect or a reopened page: replies may have been missed).
   */
  constructor(options) {
    this.options = options;
    this.sessionId = options.sessionId;
    this.ready = false; // true once the server confirmed our session on this connection
    this.pending = []; // messages accepted while the session was being confirmed
    this.socket = null;
  }

  start() {
    const { serverUrl, socketPath } = this.options;
    this.options.onStatus("connecting");
    this.socket = io(serverUrl || undefined, {
      path: socketPath || "/socket.io/",
      // WebSocket only: no long-polling, so no CORS preflights and no sticky sessions needed.
      transports: ["websocket"],
      reconnectionDelay: 1000,
      reconnectionDelayMax: 8000,
      timeout: 10000, // a connection attempt that hangs counts as failed (shows the offline banner)
      auth: (callback) => this.authenticate(callback),
    });
    this.socket.on("connect", () => this.requestSession());
    this.socket.on("session_confirm", (confirmed) => this.confirm(confirmed));
    this.socket.on("bot_uttered", (message) => this.options.onMessage(message || {}));
    // The server checks the length too (a client could skip ours).
    this.socket.on("message_rejected", () => this.options.onRejected && this.options.onRejected());
    this.socket.on("disconnect", () => this.lost());
    this.socket.on("connect_error", () => this.lost());
    window.addEventListener("offline", () => this.options.onStatus("offline"));
    window.addEventListener("online", () => {
      if (!this.socket) return;
      if (this.socket.connected) this.options.onStatus(this.ready ? "online" : "connecting");
      else this.socket.connect();
    });
  }

  authenticate(callback) {
    const { token, tokenUrl } = this.options;
    if (token) return callback({ token });
    if (!tokenUrl) return callback({});
    // A fresh short-lived token on every (re)connect.
    fetch(tokenUrl, { credentials: "same-origin", cache: "no-store" })
      .then((response) => (response.ok ? response.json() : {}))
      .then((body) => callback(body && body.token ? { token: body.token } : {}))
      .catch(() => callback({}));
  }

  requestSession() {
    this.ready = false;
    this.socket.emit("session_request", { session_id: this.sessionId });
  }

  confirm(confirmed) {
    const id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    const resumed = Boolean(id && id === this.sessionId);
    if (id && id !== this.sessionId) {
      // The server issued a session (a new one, or our token was unknown or expired): keep it.
      this.sessionId = id;
      if (this.options.onSessionChanged) this.options.onSessionChanged(id);
    }
    this.ready = true;
    this.options.onStatus("online");
    const queued = this.pending.splice(0);
    for (const message of queued) this.emit(message);
    if (resumed && this.options.onResumed) this.options.onResumed(id);
  }

  lost() {
    this.ready = false;
    this.options.onStatus("offline");
  }

  get online() {
    return Boolean(this.socket && this.socket.connected);
  }

  emit({ text, metadata }) {
    this.socket.emit("user_uttered", { message: text, session_id: this.sessionId, metadata });
  }

  /** Sends a message; returns false (and sends nothing) while offline. */
  send(text, metadata) {
    if (!this.online) return false;
    if (this.ready) this.emit({ text, metadata });
    else this.pending.push({ text, metadata });
    return true;
  }

  /** Sends now or, when offline, as soon as the session is confirmed again. */
  sendWhenOnline(text, metadata) {
    if (this.ready) this.emit({ text, metadata });
    else this.pending.push({ text, metadata });
  }

  switchSession(sessionId) {
    this.sessionId = sessionId;
    this.pending = [];
    if (this.online) this.requestSession();
  }
}
