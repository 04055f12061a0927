// Entry point of the embeddable widget. A host page adds:
//
//   <script>
//     window.CitizenAssistantConfig = {
//       serverUrl: "https://chat.example.gov.vn",  // where socket.io is served (default: this script's origin)
//       language: "vi",                             // "vi" | "en": initial interface and answer language
//       title: "Trợ lý dịch vụ công",               // optional window title
//       colors: { primary: "#0b4f8a" },             // optional: primary, primaryText, accent, background, botBubble, text
//     };
//   </script>
//   <script src="https://chat.example.gov.vn/static/widget.js" defer></script>
import { normaliseLanguage } from "./i18n.js";
import { ChatWidget } from "./widget.js";

const DEFAULTS = {
  serverUrl: null,
  socketPath: "/socket.io/",
  language: null,
  title: null,
  colors: {},
  token: null, // a JWT for the socket.io channel, if the host page already has one
  tokenUrl: null, // or a URL that returns {"token": ...} on each (re)connect
  // "local" (default): the conversation survives closing the tab, so a staff reply to a question left
  // in the queue reaches the citizen when they come back; "session": per tab (shared computers).
  storage: "local",
  missedRepliesUrl: null, // POST endpoint returning the replies missed while closed (web/missed_replies.py)
  storageKey: "citizen-assistant",
  maxLength: 1000,
  greetingPayload: "/greet",
  ratingPayload: "/request_rating",
  handoffCancelPayload: "/handoff_cancel",
  languagePayload: "/switch_language",
};

const script = document.currentScript;

function configFromPage() {
  const fromPage = window.CitizenAssistantConfig || {};
  const config = { ...DEFAULTS, ...fromPage, colors: { ...(fromPage.colors || {}) } };
  if (!config.serverUrl && script && script.src) config.serverUrl = new URL(script.src).origin;
  config.language = normaliseLanguage(config.language || document.documentElement.lang);
  config.maxLength = Math.max(1, Number(config.maxLength) || DEFAULTS.maxLength);
  return config;
}

function start() {
  if (window.CitizenAssistant && window.CitizenAssistant.widget) return; // included twice
  const widget = new ChatWidget(configFromPage());
  widget.mount();
  window.CitizenAssistant = { widget, open: () => widget.open({ focus: true }), close: () => widget.close() };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
