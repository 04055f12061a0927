// Live parts of the console: the handoff queue and an open conversation follow server-sent
// events. Every text is put in with textContent: nothing a citizen typed is ever parsed as HTML.
"use strict";

function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  for (const child of children || []) node.append(child);
  return node;
}

function listen(url, onChange) {
  const status = document.getElementById("live-status");
  const source = new EventSource(url);
  source.addEventListener("queue", onChange);
  source.addEventListener("conversation", onChange);
  source.onopen = () => status && status.classList.remove("off");
  source.onerror = () => status && status.classList.add("off");
}

function csrf() {
  return document.body.dataset.csrf;
}

function localTime(seconds) {
  const date = new Date(seconds * 1000 + 7 * 3600 * 1000);
  return date.toISOString().replace("T", " ").slice(0, 19);
}

function setUpQueue(table) {
  const t = table.dataset;
  async function refresh() {
    const response = await fetch("/queue.json", { cache: "no-store" });
    if (!response.ok) return;
    const { items } = await response.json();
    const body = table.tBodies[0];
    body.replaceChildren();
    if (!items.length) body.append(el("tr", { class: "empty" }, [el("td", { colspan: "5" }, [t.tEmpty])]));
    items.forEach((item, index) => {
      const actions = el("td");
      if (item.status === "waiting") {
        const form = el("form", { method: "post", action: `/handoffs/${item.id}/take`, class: "inline" }, [
          el("input", { type: "hidden", name: "csrf", value: csrf() }),
          el("button", { class: "primary" }, [t.tTake]),
        ]);
        actions.append(form, " ");
      }
      actions.append(el("a", { href: `/conversations/${encodeURIComponent(item.conversation_id)}` }, [t.tOpen]));
      const status = item.status === "waiting" ? t.tWaiting : `${t.tTaken} · ${item.taken_by}`;
      body.append(el("tr", { "data-handoff": String(item.id) }, [
        el("td", {}, [String(index + 1)]),
        el("td", {}, [localTime(item.requested_at)]),
        el("td", {}, [item.last_message || ""]),
        el("td", { class: "status" }, [status]),
        actions,
      ]));
    });
  }
  listen(table.dataset.live, refresh);
}

function setUpTranscript(section) {
  const t = section.dataset;
  const who = { user: t.tCitizen, bot: t.tAssistant, staff: t.tStaff, action: t.tAction, event: "·" };
  let last = Number(section.dataset.last || 0);
  let handoffStatus = (document.getElementById("handoff") || {}).dataset?.status || null;
  async function refresh() {
    const id = encodeURIComponent(section.dataset.conversation);
    const response = await fetch(`/conversations/${id}/messages.json?after=${last}`, { cache: "no-store" });
    if (!response.ok) return;
    const body = await response.json();
    for (const m of body.messages) {
      const line = el("div", { class: `line ${m.kind}`, "data-id": String(m.id) }, [
        el("span", { class: "who" }, [m.kind === "staff" ? `${who.staff} · ${m.author}` : who[m.kind] || "·"]),
        el("span", { class: "text" }, [m.text || ""]),
      ]);
      if (m.data && Array.isArray(m.data.buttons)) {
        line.append(el("span", { class: "buttons" }, m.data.buttons.map((b) => el("span", { class: "button" }, [b.title || ""]))));
      }
      if (m.kind === "user") {
        const parts = [m.intent || "", m.confidence != null ? m.confidence.toFixed(2) : "", m.procedure || "", m.language || ""];
        line.append(el("span", { class: "nlu" }, [parts.filter(Boolean).join(" · ")]));
      }
      section.append(line);
      last = Math.max(last, m.id);
    }
    const status = body.handoff ? body.handoff.status : null;
    if (status !== handoffStatus) window.location.reload(); // taken, handed back or closed elsewhere
  }
  listen(section.dataset.live, refresh);
}

// The models page: while a maintainer job runs, poll its output; reload when it ends.
function setUpJob(card) {
  if (card.dataset.running !== "1") return;
  const lines = document.getElementById("job-lines");
  const status = document.getElementById("job-status");
  async function poll() {
    const response = await fetch("/maintain/job.json", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const body = await response.json();
    if (!body.job) return;
    if (lines) lines.textContent = body.job.lines.slice(-30).join("\n");
    if (!body.job.running) {
      if (status) status.textContent = card.dataset.tDone;
      window.location.reload();
      return;
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (job) setUpJob(job);
  const queue = document.getElementById("queue");
  if (queue) setUpQueue(queue);
  const transcript = document.getElementById("transcript");
  if (transcript) setUpTranscript(transcript);
});
