/* global window, URLSearchParams, document, localStorage, navigator, fetch, EventSource, Blob, URL, setTimeout, clearTimeout */
/**
 * The local web chat: try the bot as a parent without Telegram.
 *
 * Everything on screen comes from the server's event stream (bot messages and the parent's own
 * messages), so a reload or a switch back to an earlier parent shows the whole conversation.
 * A chat id is issued by the server (POST /api/local/chats) and known only to this browser;
 * one the server no longer knows (a restart) is replaced by a new parent, with a notice.
 * When the parent erases their data (/delete), the server clears the transcript and sends an
 * `erased` notice: the screen is cleared too.
 * Bot text is "mini-HTML" (<b>, <i> and four entities); it is parsed into DOM nodes by hand and
 * never assigned to innerHTML, so a parent called "<script>" is shown as exactly that.
 */

// The page's own words come from locales/<lang>/webchat.json (GET /api/local/texts), first in
// the browser's language, then in the language the parent chose in the chat.
const STRINGS = {};
let uiLang = '';

const STORAGE_KEY = 'ouderbrug.localChat';
const MAX_PARENTS = 10;
const RECONNECT_MS = 2000;
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"' };

const el = {
  title: document.getElementById('title'),
  messages: document.getElementById('messages'),
  status: document.getElementById('status'),
  form: document.getElementById('composer'),
  input: document.getElementById('input'),
  inputLabel: document.getElementById('input-label'),
  send: document.getElementById('send'),
  select: document.getElementById('parent-select'),
  selectLabel: document.getElementById('parent-label'),
  newParent: document.getElementById('new-parent'),
};

let store = loadStore();
let chatId = '';
let lastSeq = 0;
let source = null;
let reconnectTimer = 0;
let blobUrls = [];

/* ---------- storage: which parents this browser has been ---------- */

function loadStore() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (saved && Array.isArray(saved.parents)) {
      const parents = saved.parents.filter((p) => p && typeof p.id === 'string' && typeof p.n === 'number');
      return { current: typeof saved.current === 'string' ? saved.current : null, parents };
    }
  } catch {
    // Unreadable or blocked storage: start fresh, the server keeps nothing that matters here.
  }
  return { current: null, parents: [] };
}

function saveStore() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(store));
  } catch {
    // Private mode may refuse storage; the chat still works for this visit.
  }
}

/** A new chat id, issued by the server; null when the server cannot be reached. */
async function newChatId() {
  try {
    const res = await fetch('/api/local/chats', { method: 'POST' });
    if (!res.ok) return null;
    const body = await res.json();
    return typeof body.chatId === 'string' ? body.chatId : null;
  } catch {
    return null;
  }
}

/** 'known', 'gone' (the server forgot it) or 'unknown' (no answer: try again later). */
async function chatState(id) {
  try {
    const res = await fetch(`/api/local/chats/${encodeURIComponent(id)}`);
    if (res.ok) return 'known';
    return res.status === 404 || res.status === 400 ? 'gone' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/* ---------- rendering ---------- */

/** Mini-HTML → DOM: only <b>/<i> become elements, everything else becomes text nodes. */
function renderMiniHtml(text, target) {
  const stack = [target];
  for (const m of String(text).matchAll(/<(\/?)([bi])>|&(amp|lt|gt|quot);|[^<&]+|[<&]/g)) {
    const top = stack[stack.length - 1];
    if (m[2] && !m[1]) {
      const node = document.createElement(m[2]);
      top.append(node);
      stack.push(node);
    } else if (m[2]) {
      if (stack.length > 1 && top.localName === m[2]) stack.pop();
    } else {
      top.append(m[3] ? ENTITIES[m[3]] : m[0]);
    }
  }
}

function renderEvent(event) {
  if (event.from === 'system') return renderNotice(event.notice);
  const fromParent = event.from === 'parent';
  // Once the parent has answered, earlier buttons are history, not questions.
  if (fromParent) setChoicesDisabled(el.messages, true);
  const item = document.createElement('div');
  item.className = `msg ${fromParent ? 'parent' : 'bot'}`;
  const who = document.createElement('span');
  who.className = 'visually-hidden';
  who.textContent = (fromParent ? STRINGS.youSaid : STRINGS.botSays) ?? '';
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dir = event.dir === 'rtl' || event.dir === 'ltr' ? event.dir : 'auto';
  if (!fromParent && typeof event.lang === 'string' && event.lang !== uiLang) void loadStrings(event.lang);
  renderMiniHtml(event.text, bubble);
  item.append(who, bubble);
  if (event.attachment) item.append(attachmentLink(event.attachment));
  if (Array.isArray(event.choices) && event.choices.length > 0) item.append(choiceButtons(event.choices));
  el.messages.append(item);
  el.messages.scrollTop = el.messages.scrollHeight;
}

const NOTICE_KEYS = { erased: 'erased', gone: 'chatGone' };

/** A line from the page itself, in the page's words; `erased` first clears everything before it. */
function renderNotice(notice) {
  const key = NOTICE_KEYS[notice];
  if (!key) return;
  if (notice === 'erased') clearMessages();
  const item = document.createElement('div');
  item.className = 'msg notice';
  item.setAttribute('role', 'note');
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  // Filled again by applyStrings(): the words may arrive after the notice.
  bubble.dataset.key = key;
  bubble.textContent = STRINGS[key] ?? '';
  item.append(bubble);
  el.messages.append(item);
}

function choiceButtons(rows) {
  const group = document.createElement('div');
  group.className = 'choices';
  group.setAttribute('role', 'group');
  for (const row of rows) {
    const line = document.createElement('div');
    line.className = 'choice-row';
    for (const choice of row) {
      // A link opens the page in a new tab; it is never a button and never posts back.
      if (typeof choice.url === 'string') {
        const link = choiceLink(choice);
        if (link) line.append(link);
        continue;
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'choice';
      renderMiniHtml(choice.label, button);
      button.addEventListener('click', () => void pick(group, choice.value));
      line.append(button);
    }
    group.append(line);
  }
  return group;
}

/** An https link styled as a button, or null for any other address (never javascript: or data:). */
function choiceLink(choice) {
  let url;
  try {
    url = new URL(choice.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:') return null;
  const link = document.createElement('a');
  link.className = 'choice choice-link';
  link.href = url.href;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  renderMiniHtml(choice.label, link);
  return link;
}

async function pick(group, value) {
  // Disabled at once so a double click is one answer; enabled again if sending fails.
  setChoicesDisabled(group, true);
  el.input.focus();
  if (!(await send({ choice: value }))) setChoicesDisabled(group, false);
}

function setChoicesDisabled(root, disabled) {
  for (const button of root.querySelectorAll('button.choice')) button.disabled = disabled;
}

function attachmentLink(attachment) {
  const url = URL.createObjectURL(new Blob([attachment.content], { type: attachment.mimeType }));
  blobUrls.push(url);
  const link = document.createElement('a');
  link.className = 'attachment';
  link.href = url;
  link.download = attachment.filename;
  link.textContent = `📎 ${attachment.filename}`;
  return link;
}

function clearMessages() {
  el.messages.replaceChildren();
  for (const url of blobUrls) URL.revokeObjectURL(url);
  blobUrls = [];
}

function setStatus(text) {
  el.status.textContent = text;
}

/* ---------- talking to the server ---------- */

function connect() {
  if (source) source.close();
  clearTimeout(reconnectTimer);
  const stream = new EventSource(`/api/local/events?chatId=${encodeURIComponent(chatId)}&after=${lastSeq}`);
  source = stream;
  stream.onopen = () => {
    if (source === stream) setStatus('');
  };
  stream.onmessage = (message) => {
    if (source !== stream) return;
    const event = parseEvent(message.data);
    // Skip what we already show: the browser's own reconnect may replay from an older point.
    if (!event || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    renderEvent(event);
  };
  stream.onerror = () => {
    if (source !== stream) return;
    setStatus(STRINGS.reconnecting);
    // While CONNECTING the browser retries by itself; once CLOSED it gave up (perhaps the
    // server no longer knows this chat), so we ask, then reopen or start a new parent.
    if (stream.readyState === EventSource.CLOSED) reconnectTimer = setTimeout(() => void reconnect(stream), RECONNECT_MS);
  };
}

async function reconnect(stream) {
  if (source !== stream) return;
  const state = await chatState(chatId);
  if (source !== stream) return;
  if (state === 'gone') void replaceGone(chatId);
  else connect();
}

function parseEvent(data) {
  try {
    const event = JSON.parse(data);
    return event && typeof event.seq === 'number' && typeof event.text === 'string' ? event : null;
  } catch {
    return null;
  }
}

async function send(body) {
  try {
    const response = await fetch('/api/local/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chatId, ...body, languageHint: navigator.language }),
    });
    if (response.status === 404) {
      void replaceGone(chatId);
      return false;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return true;
  } catch {
    setStatus(STRINGS.sendFailed);
    return false;
  }
}

/* ---------- parents ---------- */

function show(id) {
  store.current = id;
  saveStore();
  chatId = id;
  lastSeq = 0;
  clearMessages();
  renderParentSelect();
  connect();
  el.input.focus();
}

/** Shows an earlier parent, unless the server has forgotten it (then a new parent starts). */
async function switchTo(id) {
  if ((await chatState(id)) === 'gone') return replaceGone(id);
  show(id);
}

/** The server no longer knows this chat (e.g. it restarted): start a new parent, and say so. */
async function replaceGone(id) {
  if (!store.parents.some((p) => p.id === id)) return;
  store.parents = store.parents.filter((p) => p.id !== id);
  saveStore();
  if (await newParent()) renderNotice('gone');
}

let creating = false;

async function newParent() {
  // One at a time: a double click must not make two parents.
  if (creating) return false;
  creating = true;
  try {
    const id = await newChatId();
    if (!id) {
      setStatus(STRINGS.sendFailed);
      return false;
    }
    const n = Math.max(0, ...store.parents.map((p) => p.n)) + 1;
    const all = [{ id, n }, ...store.parents];
    store.parents = all.slice(0, MAX_PARENTS);
    // The oldest parent that no longer fits: the server may forget it too.
    for (const dropped of all.slice(MAX_PARENTS)) void fetch(`/api/local/chats/${encodeURIComponent(dropped.id)}`, { method: 'DELETE' }).catch(() => undefined);
    show(id);
    // A new parent starts like on Telegram: the bot's welcome.
    // `?start=<code>` works like a Telegram deep link: the parent lands in that initiative.
    const code = new URLSearchParams(window.location.search).get('start');
    void send({ text: code ? `/start ${code}` : '/start' });
    return true;
  } finally {
    creating = false;
  }
}

function renderParentSelect() {
  el.select.replaceChildren(
    ...store.parents.map((p) => {
      const option = document.createElement('option');
      option.value = p.id;
      option.textContent = `${STRINGS.parent ?? ""} ${p.n}`;
      option.selected = p.id === chatId;
      return option;
    }),
  );
  el.select.hidden = store.parents.length < 2;
}

/* ---------- start ---------- */

function applyStrings() {
  document.title = STRINGS.title ?? '';
  el.title.textContent = STRINGS.title ?? '';
  el.input.placeholder = STRINGS.placeholder ?? '';
  el.inputLabel.textContent = STRINGS.inputLabel ?? '';
  el.send.textContent = STRINGS.send ?? '';
  el.selectLabel.textContent = STRINGS.parentSelect ?? '';
  el.newParent.textContent = STRINGS.newParent ?? '';
  for (const bubble of el.messages.querySelectorAll('.notice .bubble')) bubble.textContent = STRINGS[bubble.dataset.key] ?? '';
}

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = el.input.value.trim();
  if (!text) return;
  el.input.value = '';
  el.input.focus();
  void send({ text }).then((ok) => {
    // Give back what the parent typed if it did not arrive, unless they started typing again.
    if (!ok && el.input.value === '') el.input.value = text;
  });
});
el.newParent.addEventListener('click', () => void newParent());
el.select.addEventListener('change', () => void switchTo(el.select.value));

void loadStrings(navigator.language || 'nl');
if (store.current && store.parents.some((p) => p.id === store.current)) void switchTo(store.current);
else void newParent();

/** Loads the page's words in a language and lays the page out in its direction. */
async function loadStrings(lang) {
  uiLang = lang;
  try {
    const res = await fetch(`/api/local/texts?lang=${encodeURIComponent(lang)}`);
    if (!res.ok) return;
    const body = await res.json();
    uiLang = body.lang;
    Object.assign(STRINGS, body.texts);
    document.documentElement.lang = body.lang;
    document.documentElement.dir = body.dir;
    applyStrings();
    renderParentSelect();
  } catch {
    // Without the words the chat still works; the next bot message tries again.
    uiLang = '';
  }
}
