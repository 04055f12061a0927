// A tiny, safe subset of Markdown for chat bubbles: **bold**, bullet and numbered lists,
// checklists ("- [ ] item"), [links](https://...) and bare https:// links.
// Everything is built with DOM APIs and textContent: no text from the user or the bot is
// ever parsed as HTML.

const CHECK_ITEM = /^\s*[-*•]\s+\[([ xX])\]\s+(.*)$/;
const BULLET_ITEM = /^\s*(?:[-*•]|☐|☑)\s+(.*)$/;
const NUMBERED_ITEM = /^\s*(\d{1,3})[.)]\s+(.*)$/;
const INLINE = /\*\*(.+?)\*\*|\[([^\]\n]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>()]+)/g;
const SAFE_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];

function safeHref(raw) {
  try {
    const url = new URL(raw, window.location.href);
    return SAFE_PROTOCOLS.includes(url.protocol) ? url.href : null;
  } catch (_) {
    return null;
  }
}

function link(text, href) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  anchor.textContent = text;
  return anchor;
}

export function renderInline(text, parent, allowBold = true) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const [whole, bold, label, target, bare] = match;
    if (bold !== undefined && !allowBold) continue;
    parent.append(document.createTextNode(text.slice(last, match.index)));
    if (bold !== undefined) {
      const strong = document.createElement("strong");
      renderInline(bold, strong, false);
      parent.append(strong);
    } else if (label !== undefined) {
      const href = safeHref(target);
      parent.append(href ? link(label, href) : document.createTextNode(whole));
    } else {
      // A sentence often ends right after a bare link: keep its punctuation out of the URL.
      const url = bare.replace(/[.,;:!?'"]+$/, "");
      const href = safeHref(url);
      parent.append(href ? link(url, href) : document.createTextNode(url));
      parent.append(document.createTextNode(bare.slice(url.length)));
    }
    last = match.index + whole.length;
  }
  parent.append(document.createTextNode(text.slice(last)));
}

function listItem(text, checked) {
  const item = document.createElement("li");
  if (checked !== undefined) {
    item.className = checked ? "ca-check ca-checked" : "ca-check";
    const box = document.createElement("span");
    box.className = "ca-box";
    box.setAttribute("aria-hidden", "true");
    box.textContent = checked ? "☑" : "☐";
    item.append(box, document.createTextNode(" "));
  }
  renderInline(text, item);
  return item;
}

/** Renders chat text into a DocumentFragment of paragraphs and lists. */
export function renderMessage(text) {
  const fragment = document.createDocumentFragment();
  let paragraph = null;
  let list = null;
  let listKind = null;

  const closeBlocks = () => {
    paragraph = null;
    list = null;
    listKind = null;
  };
  const openList = (kind, start) => {
    if (listKind === kind) return;
    paragraph = null;
    list = document.createElement(kind === "ol" ? "ol" : "ul");
    if (kind === "check") list.className = "ca-checklist";
    if (kind === "ol" && start > 1) list.start = start;
    listKind = kind;
    fragment.append(list);
  };

  for (const line of String(text).split(/\r?\n/)) {
    let match;
    if (!line.trim()) {
      closeBlocks();
    } else if ((match = line.match(CHECK_ITEM))) {
      openList("check");
      list.append(listItem(match[2], match[1].toLowerCase() === "x"));
    } else if ((match = line.match(BULLET_ITEM))) {
      openList("ul");
      list.append(listItem(match[1]));
    } else if ((match = line.match(NUMBERED_ITEM))) {
      openList("ol", Number(match[1]));
      list.append(listItem(match[2]));
    } else {
      if (!paragraph) {
        list = null;
        listKind = null;
        paragraph = document.createElement("p");
        fragment.append(paragraph);
      } else {
        paragraph.append(document.createElement("br"));
      }
      renderInline(line.trim(), paragraph);
    }
  }
  return fragment;
}
