// What the widget keeps in the browser so a conversation survives a reload, a navigation to
// another page of the same site and closing the browser: the session token, the rendered
// messages, the timestamp of the last reply shown, the handoff state, the draft, the language and
// whether the window was open. In localStorage by default: a citizen who left a question for a
// staff member gets the reply the next time they open the widget in that browser (the server
// token expires after a day; "new conversation" forgets everything). A host page for shared
// computers can set `storage: "session"` (per tab, forgotten when the tab closes).

const MAX_STORED_MESSAGES = 200;

function pick(kind) {
  try {
    const store = kind === "local" ? window.localStorage : window.sessionStorage;
    const probe = "__citizen_assistant_probe__";
    store.setItem(probe, "1");
    store.removeItem(probe);
    return store;
  } catch (_) {
    return null; // storage disabled (private mode, cookies blocked): keep it in memory only
  }
}

// The session token the server issued (signed; it reopens our conversation). Opaque here.
const SESSION_TOKEN = /^[A-Za-z0-9:._-]{1,200}$/;

export class ConversationStore {
  constructor(prefix, kind = "session") {
    this.prefix = prefix;
    this.store = pick(kind);
    this.persistent = pick("local"); // only for the privacy notice acknowledgement
    this.memory = {};
  }

  read(key, fallback, store = this.store) {
    try {
      const raw = store ? store.getItem(`${this.prefix}:${key}`) : this.memory[key];
      return raw == null ? fallback : JSON.parse(raw);
    } catch (_) {
      return fallback;
    }
  }

  write(key, value, store = this.store) {
    const raw = JSON.stringify(value);
    try {
      if (store) store.setItem(`${this.prefix}:${key}`, raw);
      else this.memory[key] = raw;
    } catch (_) {
      this.memory[key] = raw; // quota exceeded: keep working for this page
    }
  }

  /** The server-issued session token, or null: the server then starts a new conversation. */
  get sessionId() {
    const token = this.read("session", null);
    return typeof token === "string" && SESSION_TOKEN.test(token) ? token : null;
  }

  get messages() {
    const messages = this.read("messages", []);
    return Array.isArray(messages) ? messages : [];
  }

  saveMessages(messages) {
    this.write("messages", messages.slice(-MAX_STORED_MESSAGES));
  }

  /** The timestamp (Rasa's, seconds) of the newest assistant or staff message shown; 0: none. */
  get lastReplyAt() {
    const at = Number(this.read("last-reply-at", 0));
    return Number.isFinite(at) && at > 0 ? at : 0;
  }

  set lastReplyAt(at) {
    this.write("last-reply-at", at);
  }

  get draft() {
    return String(this.read("draft", ""));
  }

  set draft(text) {
    this.write("draft", text);
  }

  get language() {
    return this.read("language", null);
  }

  set language(code) {
    this.write("language", code);
  }

  get isOpen() {
    return this.read("open", false) === true;
  }

  set isOpen(open) {
    this.write("open", Boolean(open));
  }

  get privacyAccepted() {
    return this.read("privacy-accepted", false, this.persistent) === true;
  }

  acceptPrivacy() {
    this.write("privacy-accepted", true, this.persistent);
  }

  /** Forgets the conversation (not the privacy acknowledgement); the server issues the next session. */
  reset() {
    this.write("messages", []);
    this.write("draft", "");
    this.write("session", null);
    this.write("last-reply-at", 0);
    return null;
  }
}
