// The chat window: renders the conversation, sends what the citizen types or clicks, and
// keeps everything needed to restore it after a reload or a navigation.
import { Connection } from "./connection.js";
import { normaliseLanguage, uiText } from "./i18n.js";
import { renderInline, renderMessage } from "./markdown.js";
import { ConversationStore } from "./storage.js";
import { CSS, colourVariables } from "./styles.js";

const TYPING_TIMEOUT_MS = 20000;
const CHAT_ICON =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6h2v2H7zm4 0h2v2h-2zm4 0h2v2h-2z";

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** NFC (so Vietnamese typed as combining marks matches the training data) and trimmed. */
export function cleanInput(text) {
  return String(text || "").normalize("NFC").trim();
}

export class ChatWidget {
  constructor(config) {
    this.config = config;
    this.store = new ConversationStore(config.storageKey, config.storage);
    this.language = normaliseLanguage(this.store.language || config.language);
    this.messages = this.store.messages;
    this.typingTimer = null;
    this.status = "connecting";
  }

  get text() {
    return uiText(this.language);
  }

  mount() {
    this.host = element("div", { id: "citizen-assistant", "data-citizen-assistant": "" });
    this.host.setAttribute("style", colourVariables(this.config.colors));
    const shadow = this.host.attachShadow({ mode: "open" });
    shadow.append(element("style", { text: CSS }), this.build());
    document.body.append(this.host);

    this.renderAll();
    this.showHandoff(this.store.read("handoff", null));
    this.input.value = this.store.draft;
    this.updateCounter();
    this.applyLanguage();

    this.connection = new Connection({
      serverUrl: this.config.serverUrl,
      socketPath: this.config.socketPath,
      token: this.config.token,
      tokenUrl: this.config.tokenUrl,
      sessionId: this.store.sessionId,
      onMessage: (message) => this.receive(message),
      onStatus: (status) => this.setStatus(status),
      onSessionChanged: (id) => this.store.write("session", id),
      onResumed: (token) => this.fetchMissedReplies(token),
      onRejected: () => {
        this.hideTyping();
        this.showError(this.text.rejected);
      },
    });
    this.connection.start();
    if (this.store.isOpen) this.open({ focus: false });
  }

  build() {
    const t = this.text;
    this.launcher = element("button", { type: "button", className: "ca-launcher", "aria-expanded": "false" });
    const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", CHAT_ICON);
    icon.append(path);
    this.launcherLabel = element("span", { text: t.title });
    this.launcher.append(icon, this.launcherLabel);
    this.launcher.addEventListener("click", () => this.open({ focus: true }));

    this.titleNode = element("h2", { className: "ca-title", id: "ca-title" });
    this.subtitleNode = element("p", { className: "ca-subtitle" });
    this.languageButton = element("button", { type: "button", className: "ca-tool", "data-action": "language" });
    this.languageButton.addEventListener("click", () => this.switchLanguage());
    this.rateButton = element("button", { type: "button", className: "ca-tool", "data-action": "rate" });
    this.rateButton.addEventListener("click", () => this.requestRating());
    this.newButton = element("button", { type: "button", className: "ca-tool", "data-action": "new" });
    this.newButton.addEventListener("click", () => this.newConversation());
    this.closeButton = element("button", { type: "button", className: "ca-tool ca-close", "data-action": "close", text: "×" });
    this.closeButton.addEventListener("click", () => this.close());
    const header = element("div", { className: "ca-header" }, [
      element("div", { className: "ca-heading" }, [this.titleNode, this.subtitleNode]),
      this.closeButton,
      element("div", { className: "ca-tools" }, [this.languageButton, this.rateButton, this.newButton]),
    ]);

    this.banner = element("p", { className: "ca-banner", role: "status", hidden: true });
    // Shown while the conversation waits for (or is with) a staff member: the assistant is paused.
    this.handoffText = element("span");
    this.handoffCancel = element("button", { type: "button", "data-action": "back-to-assistant" });
    this.handoffCancel.addEventListener("click", () => this.backToAssistant());
    this.handoffBar = element("p", { className: "ca-handoff", role: "status", hidden: true }, [
      this.handoffText,
      this.handoffCancel,
    ]);
    this.log = element("div", { className: "ca-log", role: "log", "aria-live": "polite", tabindex: "0" });
    this.typing = element("div", { className: "ca-typing", hidden: true }, [
      element("span", { className: "ca-dot", "aria-hidden": "true" }),
      element("span", { className: "ca-dot", "aria-hidden": "true" }),
      element("span", { className: "ca-dot", "aria-hidden": "true" }),
    ]);
    this.typingLabel = element("span", { className: "ca-sr-only" });
    this.typing.append(this.typingLabel);

    this.input = element("textarea", { className: "ca-input", rows: "1", id: "ca-input", "aria-describedby": "ca-meta" });
    this.inputLabel = element("label", { className: "ca-sr-only", for: "ca-input" });
    this.input.addEventListener("input", () => {
      this.store.draft = this.input.value;
      this.updateCounter();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.sendButton = element("button", { type: "submit", className: "ca-send" });
    this.error = element("span", { className: "ca-error", role: "alert" });
    this.counter = element("span", { className: "ca-counter", "aria-hidden": "true" });
    this.form = element("form", { className: "ca-form" }, [
      this.inputLabel,
      element("div", { className: "ca-row" }, [this.input, this.sendButton]),
      element("div", { className: "ca-meta", id: "ca-meta" }, [this.error, this.counter]),
    ]);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });

    this.privacyTitle = element("h2", { id: "ca-privacy-title" });
    this.privacyList = element("ul");
    this.privacyAccept = element("button", { type: "button", "data-action": "accept-privacy" });
    this.privacyAccept.addEventListener("click", () => this.acceptPrivacy());
    this.privacy = element("div", { className: "ca-privacy", role: "dialog", "aria-labelledby": "ca-privacy-title", hidden: true }, [
      this.privacyTitle,
      this.privacyList,
      this.privacyAccept,
    ]);

    this.panel = element("section", { className: "ca-panel", "aria-labelledby": "ca-title", hidden: true }, [
      header,
      this.banner,
      this.handoffBar,
      element("div", { className: "ca-body" }, [this.log, this.typing, this.form, this.privacy]),
    ]);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    return element("div", { className: "ca-root", lang: this.language }, [this.launcher, this.panel]);
  }

  applyLanguage() {
    const t = this.text;
    this.panel.parentNode.setAttribute("lang", this.language);
    this.launcherLabel.textContent = this.config.title || t.title;
    this.launcher.setAttribute("aria-label", t.open);
    this.titleNode.textContent = this.config.title || t.title;
    this.subtitleNode.textContent = t.subtitle;
    this.languageButton.textContent = t.switchTo;
    this.languageButton.setAttribute("aria-label", t.switchToLabel);
    this.languageButton.setAttribute("lang", this.language === "vi" ? "en" : "vi");
    this.rateButton.textContent = t.rate;
    this.rateButton.setAttribute("aria-label", t.rateLabel);
    this.newButton.textContent = t.newConversation;
    this.closeButton.setAttribute("aria-label", t.close);
    this.log.setAttribute("aria-label", t.log);
    this.typingLabel.textContent = t.typing;
    this.input.placeholder = t.placeholder;
    this.input.setAttribute("maxlength", String(this.config.maxLength * 2)); // room to paste, then we explain
    this.inputLabel.textContent = t.inputLabel;
    this.sendButton.textContent = t.send;
    this.privacyTitle.textContent = t.privacyTitle;
    this.privacyList.replaceChildren(...t.privacyBody.map((line) => element("li", { text: line })));
    this.privacyAccept.textContent = t.privacyAccept;
    this.banner.textContent = t.offline;
    this.handoffText.textContent = t.waitingForPerson;
    this.handoffCancel.textContent = t.backToAssistant;
    this.updateCounter();
  }

  // --- opening, closing, privacy ---------------------------------------------------------

  open({ focus }) {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.store.isOpen = true;
    if (!this.store.privacyAccepted) {
      this.privacy.hidden = false;
      if (focus) this.privacyAccept.focus();
      return;
    }
    this.startConversation();
    this.scrollToEnd();
    if (focus) this.input.focus();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.store.isOpen = false;
    this.launcher.focus();
  }

  acceptPrivacy() {
    this.store.acceptPrivacy();
    this.privacy.hidden = true;
    this.startConversation();
    this.input.focus();
  }

  /** A brand-new conversation starts with the assistant's greeting. */
  startConversation() {
    if (this.messages.length > 0 || this.greetingRequested) return;
    this.greetingRequested = true;
    this.showTyping();
    this.connection.sendWhenOnline(this.config.greetingPayload, this.metadata());
  }

  // --- sending -----------------------------------------------------------------------------

  metadata() {
    return { language: this.language };
  }

  submit() {
    const t = this.text;
    const text = cleanInput(this.input.value);
    if (!text) return;
    if (text.length > this.config.maxLength) {
      this.showError(t.tooLong(this.config.maxLength, text.length), "too-long");
      return;
    }
    if (!this.connection.send(text, this.metadata())) {
      this.showError(t.notSent); // the draft stays in the box
      return;
    }
    this.input.value = "";
    this.store.draft = "";
    this.updateCounter();
    this.showError("");
    this.addMessage({ role: "user", text });
    this.showTyping();
  }

  /** A quick-reply button: show its title, send its payload. */
  choose(button) {
    if (!this.connection.send(button.payload, this.metadata())) {
      this.showError(this.text.notSent);
      return;
    }
    this.showError("");
    this.addMessage({ role: "user", text: button.title });
    this.showTyping();
    this.input.focus();
  }

  requestRating() {
    if (!this.connection.send(this.config.ratingPayload, this.metadata())) {
      this.showError(this.text.notSent);
      return false;
    }
    this.store.write("rating-requested", true);
    this.showTyping();
    return true;
  }

  switchLanguage() {
    this.language = this.language === "vi" ? "en" : "vi";
    this.store.language = this.language;
    this.applyLanguage();
    this.addMessage({ role: "system", text: this.text.switched });
    // Tell the assistant too, so it answers in the new language from now on.
    if (this.config.languagePayload && this.connection.send(this.config.languagePayload, this.metadata())) {
      this.showTyping();
    }
  }

  newConversation() {
    const hasTalked = this.messages.some((m) => m.role === "user");
    // End of a conversation: offer the rating once; pressing again starts the new one.
    if (hasTalked && !this.store.read("rating-requested", false)) {
      this.addMessage({ role: "system", text: this.text.rateBeforeNew });
      if (this.requestRating()) return;
    }
    if (hasTalked && !window.confirm(this.text.newConversationConfirm)) return;
    this.store.write("rating-requested", false);
    this.showHandoff(null);
    const sessionId = this.store.reset();
    this.messages = [];
    this.greetingRequested = false;
    this.input.value = "";
    this.updateCounter();
    this.showError("");
    this.hideTyping();
    this.renderAll();
    this.connection.switchSession(sessionId);
    this.startConversation();
    this.input.focus();
  }

  // --- receiving ---------------------------------------------------------------------------

  receive(message) {
    const timestamp = typeof message.timestamp === "number" && Number.isFinite(message.timestamp) ? message.timestamp : null;
    // A reply shown live and fetched again after a reconnect is shown once.
    if (timestamp !== null && this.messages.some((m) => m.timestamp === timestamp)) return;
    const handoff = message.custom && message.custom.handoff;
    if (handoff === "waiting" || handoff === "ended") this.showHandoff(handoff);
    const entry = { role: "bot", text: "" };
    if (timestamp !== null) {
      entry.timestamp = timestamp;
      if (timestamp > this.store.lastReplyAt) this.store.lastReplyAt = timestamp;
    }
    if (message.staff === true) entry.staff = true;
    if (typeof message.text === "string") entry.text = message.text;
    const buttons = message.quick_replies || message.buttons;
    if (Array.isArray(buttons) && buttons.length) {
      entry.buttons = buttons
        .filter((b) => b && b.title != null)
        .map((b) => ({ title: String(b.title), payload: String(b.payload != null ? b.payload : b.title) }));
    }
    const attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      const src = safeImage(String(attachment.payload.src || ""));
      if (src) entry.image = src;
    }
    if (!entry.text && !entry.buttons && !entry.image) return; // custom payloads we do not display
    this.hideTyping();
    this.addMessage(entry);
  }

  /**
   * The replies sent while this conversation had no open widget (a staff member answering a
   * question left in the queue), and whether it still waits for a person.
   */
  fetchMissedReplies(token) {
    const url = this.config.missedRepliesUrl;
    const after = this.store.lastReplyAt;
    if (!url || !after || this.fetchingMissed) return;
    this.fetchingMissed = true;
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: token, after }),
      credentials: "omit",
      cache: "no-store",
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        if (!body || token !== this.connection.sessionId) return; // a new conversation started meanwhile
        const missed = Array.isArray(body.messages) ? body.messages : [];
        for (const message of missed) {
          if (!message || typeof message !== "object") continue;
          this.receive({
            text: message.text,
            quick_replies: message.buttons,
            staff: message.staff,
            timestamp: message.timestamp,
            custom: message.handoff ? { handoff: message.handoff } : undefined,
          });
        }
        if (typeof body.paused === "boolean") this.showHandoff(body.paused ? "waiting" : null);
      })
      .catch(() => {}) // offline again: the next reconnect asks again
      .finally(() => {
        this.fetchingMissed = false;
      });
  }

  /** "waiting": a staff member is asked for (or answering), the assistant is paused. */
  showHandoff(state) {
    const waiting = state === "waiting";
    this.store.write("handoff", waiting ? "waiting" : null);
    this.handoffBar.hidden = !waiting;
  }

  backToAssistant() {
    if (!this.connection.send(this.config.handoffCancelPayload || "/handoff_cancel", this.metadata())) {
      this.showError(this.text.notSent);
      return;
    }
    this.showError("");
    this.addMessage({ role: "system", text: this.text.backToAssistant });
    this.showTyping();
  }

  // --- rendering ---------------------------------------------------------------------------

  addMessage(entry) {
    if (entry.role === "user") {
      // Buttons offered before the citizen answered can no longer be used.
      for (const message of this.messages) if (message.buttons) message.answered = true;
      this.log.querySelectorAll(".ca-quick-reply").forEach((b) => (b.disabled = true));
    }
    this.messages.push(entry);
    this.store.saveMessages(this.messages);
    this.log.append(this.renderEntry(entry));
    this.scrollToEnd();
  }

  renderAll() {
    this.log.setAttribute("aria-busy", "true"); // do not read out the restored history
    this.log.replaceChildren(...this.messages.map((entry) => this.renderEntry(entry)));
    this.log.setAttribute("aria-busy", "false");
    this.scrollToEnd();
  }

  renderEntry(entry) {
    const t = this.text;
    const role = ["user", "bot", "system"].includes(entry.role) ? entry.role : "system";
    const staff = role === "bot" && entry.staff === true; // a staff member's reply, not the assistant's
    const wrapper = element("div", { className: `ca-message ca-${role}${staff ? " ca-staff" : ""}` });
    if (staff) wrapper.append(element("span", { className: "ca-from-staff", text: t.staff }));
    else if (role !== "system") wrapper.append(element("span", { className: "ca-sr-only", text: `${role === "user" ? t.you : t.bot}: ` }));
    const bubble = element("div", { className: "ca-bubble" });
    if (role === "bot") bubble.append(renderMessage(entry.text || ""));
    else if (role === "user") bubble.append(document.createTextNode(entry.text || ""));
    else renderInline(entry.text || "", bubble);
    if (entry.image) {
      const src = safeImage(entry.image);
      if (src) bubble.append(element("img", { src, alt: "" }));
    }
    if (bubble.childNodes.length) wrapper.append(bubble);
    if (entry.buttons && entry.buttons.length) {
      const list = element("ul", { className: "ca-quick-replies", "aria-label": t.quickReplies });
      for (const button of entry.buttons) {
        const node = element("button", { type: "button", className: "ca-quick-reply", text: button.title });
        node.disabled = Boolean(entry.answered);
        node.addEventListener("click", () => {
          if (!node.disabled) this.choose(button);
        });
        list.append(element("li", {}, [node]));
      }
      wrapper.append(list);
    }
    return wrapper;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  showTyping() {
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_TIMEOUT_MS);
    this.scrollToEnd();
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  }

  showError(message, kind = null) {
    this.error.textContent = message;
    this.errorKind = message ? kind : null;
  }

  updateCounter() {
    const length = cleanInput(this.input.value).length;
    const max = this.config.maxLength;
    this.counter.textContent = length > max * 0.8 ? this.text.counter(length, max) : "";
    if (this.errorKind === "too-long" && length <= max) this.showError("");
  }

  setStatus(status) {
    this.status = status;
    this.banner.hidden = status !== "offline";
    this.host.setAttribute("data-status", status);
  }
}

function safeImage(src) {
  try {
    const url = new URL(src, window.location.href);
    return url.protocol === "https:" ? url.href : null; // never http: (mixed content, tracking in clear)
  } catch (_) {
    return null;
  }
}
