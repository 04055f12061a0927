// Styles live inside the widget's shadow root, so the host page cannot break them and they
// cannot leak into the host page. Colours come from the configuration as CSS variables;
// the defaults keep text contrast at WCAG AA or better.

export const DEFAULT_COLOURS = {
  primary: "#0b4f8a", // header, launcher, user bubbles (white text: 8.3:1)
  primaryText: "#ffffff",
  accent: "#b3261e", // focus ring and the offline banner
  background: "#ffffff",
  botBubble: "#eef2f7",
  text: "#1b1f24",
};

export function colourVariables(colours) {
  const c = { ...DEFAULT_COLOURS, ...(colours || {}) };
  return [
    `--ca-primary:${c.primary}`,
    `--ca-primary-text:${c.primaryText}`,
    `--ca-accent:${c.accent}`,
    `--ca-bg:${c.background}`,
    `--ca-bot-bubble:${c.botBubble}`,
    `--ca-text:${c.text}`,
  ].join(";");
}

export const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.ca-root {
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
  color: var(--ca-text);
}
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid var(--ca-accent); outline-offset: 2px; }
.ca-sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
.ca-launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: flex; align-items: center; gap: 8px;
  padding: 12px 18px; border: 0; border-radius: 28px;
  background: var(--ca-primary); color: var(--ca-primary-text);
  box-shadow: 0 4px 14px rgba(0, 0, 0, .25); font-weight: 600;
}
.ca-launcher svg { width: 22px; height: 22px; fill: currentColor; }
.ca-panel {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483001;
  width: 390px; height: min(640px, calc(100vh - 40px));
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--ca-bg); border-radius: 14px;
  box-shadow: 0 10px 40px rgba(0, 0, 0, .3);
}
.ca-panel[hidden], .ca-launcher[hidden] { display: none; }
.ca-header {
  display: grid; grid-template-columns: 1fr auto; align-items: start; gap: 8px;
  padding: 10px 10px 10px 16px; background: var(--ca-primary); color: var(--ca-primary-text);
}
.ca-heading { min-width: 0; }
.ca-title { margin: 0; font-size: 16px; font-weight: 700; }
.ca-subtitle { margin: 0; font-size: 13px; opacity: .92; }
.ca-tools { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 6px; }
.ca-tool {
  min-height: 32px; padding: 4px 10px; border: 1px solid rgba(255, 255, 255, .7); border-radius: 6px;
  background: transparent; color: var(--ca-primary-text); font-size: 13px;
}
.ca-tool:hover { background: rgba(255, 255, 255, .15); }
.ca-close { font-size: 18px; line-height: 1; min-width: 32px; }
.ca-banner {
  margin: 0; padding: 8px 14px; background: var(--ca-accent); color: #fff; font-size: 14px;
}
.ca-banner[hidden] { display: none; }
.ca-handoff {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 0; padding: 8px 14px;
  background: #fff6e0; color: #5a3b00; font-size: 14px; border-bottom: 1px solid #e8d49a;
}
.ca-handoff[hidden] { display: none; }
.ca-handoff button { min-height: 32px; padding: 4px 10px; border: 1px solid #a0781c; border-radius: 6px; background: #fff; color: #5a3b00; }
.ca-log {
  flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px;
  overscroll-behavior: contain;
}
.ca-message { display: flex; flex-direction: column; max-width: 85%; }
.ca-message.ca-user { align-self: flex-end; align-items: flex-end; }
.ca-message.ca-bot { align-self: flex-start; }
.ca-from-staff { font-size: 0.75em; font-weight: 600; color: var(--ca-primary); margin: 0 0 2px 4px; }
.ca-staff .ca-bubble { border-left: 3px solid var(--ca-primary); }
.ca-message.ca-system { align-self: center; max-width: 95%; }
.ca-bubble {
  padding: 8px 12px; border-radius: 14px; overflow-wrap: anywhere; white-space: normal;
}
.ca-user .ca-bubble { background: var(--ca-primary); color: var(--ca-primary-text); border-bottom-right-radius: 4px; white-space: pre-wrap; }
.ca-bot .ca-bubble { background: var(--ca-bot-bubble); color: var(--ca-text); border-bottom-left-radius: 4px; }
.ca-system .ca-bubble { background: transparent; color: #4a5360; font-size: 13px; text-align: center; padding: 2px 8px; }
.ca-bubble p { margin: 0; }
.ca-bubble p + p, .ca-bubble p + ul, .ca-bubble p + ol, .ca-bubble ul + p, .ca-bubble ol + p { margin-top: 6px; }
.ca-bubble ul, .ca-bubble ol { margin: 4px 0 0; padding-left: 22px; }
.ca-bubble li + li { margin-top: 3px; }
.ca-bubble ul.ca-checklist { list-style: none; padding-left: 4px; }
.ca-box { font-size: 16px; }
.ca-bubble a { color: #0a4a85; text-decoration: underline; }
.ca-user .ca-bubble a { color: var(--ca-primary-text); }
.ca-bubble img { max-width: 100%; border-radius: 8px; }
.ca-quick-replies { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; padding: 0; list-style: none; }
.ca-quick-reply {
  padding: 6px 12px; border: 1.5px solid var(--ca-primary); border-radius: 16px;
  background: var(--ca-bg); color: var(--ca-primary); font-size: 14px; text-align: left;
}
@media (hover: hover) {
  /* Touch screens keep :hover after a tap: only highlight where there is a real pointer. */
  .ca-quick-reply:hover:not(:disabled) { background: var(--ca-primary); color: var(--ca-primary-text); }
}
.ca-quick-reply:disabled { border-color: #8a939e; color: #4a5360; cursor: default; }
.ca-typing { display: flex; align-items: center; gap: 4px; padding: 0 16px 8px; color: #4a5360; font-size: 13px; }
.ca-typing[hidden] { display: none; }
.ca-dot { width: 7px; height: 7px; border-radius: 50%; background: #5b6573; animation: ca-blink 1.2s infinite; }
.ca-dot:nth-child(2) { animation-delay: .2s; }
.ca-dot:nth-child(3) { animation-delay: .4s; }
@keyframes ca-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .ca-dot { animation: none; } }
.ca-form { border-top: 1px solid #d5dbe3; padding: 10px; display: flex; flex-direction: column; gap: 4px; }
.ca-row { display: flex; gap: 8px; align-items: flex-end; }
.ca-input {
  flex: 1; resize: none; min-height: 42px; max-height: 120px; padding: 9px 10px;
  border: 1.5px solid #7a8490; border-radius: 10px; font: inherit; color: var(--ca-text); background: #fff;
}
.ca-send {
  min-width: 64px; min-height: 42px; border: 0; border-radius: 10px;
  background: var(--ca-primary); color: var(--ca-primary-text); font-weight: 600;
}
.ca-meta { display: flex; justify-content: space-between; gap: 8px; font-size: 12px; color: #4a5360; min-height: 16px; }
.ca-error { color: #a1160f; font-weight: 600; }
.ca-privacy {
  position: absolute; inset: 0; z-index: 2; display: flex; flex-direction: column; justify-content: center;
  padding: 24px; background: var(--ca-bg); overflow-y: auto;
}
.ca-privacy[hidden] { display: none; }
.ca-privacy h2 { margin: 0 0 10px; font-size: 18px; }
.ca-privacy ul { margin: 0 0 16px; padding-left: 20px; }
.ca-privacy li + li { margin-top: 6px; }
.ca-privacy button {
  align-self: flex-start; padding: 10px 18px; border: 0; border-radius: 8px;
  background: var(--ca-primary); color: var(--ca-primary-text); font-weight: 600;
}
.ca-body { position: relative; flex: 1; display: flex; flex-direction: column; min-height: 0; }
@media (max-width: 520px) {
  .ca-panel { right: 0; bottom: 0; width: 100vw; height: 100%; max-height: 100dvh; border-radius: 0; }
  .ca-launcher { right: 12px; bottom: 12px; }
  .ca-message { max-width: 92%; }
  .ca-input { font-size: 16px; } /* 16px stops iOS zooming into the field */
}
`;
