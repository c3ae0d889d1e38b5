/**
 * The local web chat channel: lets someone try the bot as a parent in a browser, without
 * Telegram. There is no messenger behind it, so "sending" is appending to an in-memory
 * history per chat and telling the open page (Server-Sent Events) about it.
 *
 * Memory is bounded (a chat page left open for weeks, or many test parents, must not grow the
 * process): the last MAX_EVENTS_PER_CHAT events per chat, at most MAX_CHATS chats, the least
 * recently used chat forgotten first. Sequence numbers are global and only ever grow, so a
 * page reconnecting with `after=N` never misses or repeats an event, even after an eviction
 * or a restart.
 *
 * A chat's id is a capability: `issue()` draws 128 random bits, and the HTTP API serves only
 * ids it issued and still holds (`knows`). The ids share the chats' LRU bound and do not
 * survive a restart (the page then asks for a new one). `send`/`history` still accept any id:
 * the engine and tests address chats directly.
 *
 * Erasure: `receive` runs each turn and asks `hasPerson` afterwards. When a chat that had a
 * person no longer has one (/delete, from this chat or a linked one), its transcript is
 * cleared and replaced by one `erased` notice, which open pages see at once.
 *
 * Voice notes, photos and files (OutboundMessage.media): the web chat is text only. Such a
 * message shows a line in the reader's language ("🎤 Voice message: listen in Telegram or
 * WhatsApp") above its text; the file itself is never served here.
 */
import { randomBytes } from 'node:crypto';
import type { Attachment, InboundContent, InboundMessage, MediaType, OutboundMessage } from '../../core/messages.js';
import type { SendOutcome } from '../../core/errors.js';
import type { ChannelAdapter, ChannelHealth, InboundHandler, Logger } from '../../core/ports.js';
import { escapeHtml } from '../../core/render.js';
import { describeError } from '../../core/dispatcher.js';

export const MAX_EVENTS_PER_CHAT = 200;
export const MAX_CHATS = 1_000;

/** A button that answers (`value`), or a link (`url`, https) the page opens in a new tab and never posts back. */
type ChoiceRow = { label: string; value: string; url?: string }[];

/** Outbound messages carry their language and direction, so the page can lay out RTL text. */
export type LocalOutbound = OutboundMessage;

/**
 * One line of a chat's transcript, as the page receives it. `text` is mini-HTML. A `system`
 * line carries a `notice` the page words itself (`erased`: everything before it is gone).
 */
export interface LocalEvent {
  seq: number;
  from: 'bot' | 'parent' | 'system';
  notice?: 'erased';
  text: string;
  choices: ChoiceRow[];
  attachment: Attachment | null;
  dir?: 'ltr' | 'rtl';
  lang?: string;
}

export type LocalListener = (event: LocalEvent) => void;

export interface LocalChannel extends ChannelAdapter {
  readonly name: 'local';
  /** Appends a bot message to the chat and pushes it to open pages. Never fails. */
  send(chatId: string, message: LocalOutbound): Promise<SendOutcome>;
  /** Records what the parent sent, so the transcript survives a reload or a switch of parent. */
  recordParent(chatId: string, content: InboundContent): void;
  subscribe(chatId: string, listener: LocalListener): () => void;
  /** Events with `seq > afterSeq`, oldest first. */
  history(chatId: string, afterSeq: number): LocalEvent[];
  /** A new chat id: 128 random bits, base64url (22 characters). */
  issue(): string;
  /** True for an id this channel issued and has not forgotten (LRU, restart, `forget`). */
  knows(chatId: string): boolean;
  /** Drops the chat's transcript and its id. */
  forget(chatId: string): void;
  /**
   * One turn from the page: records the parent's words, runs `handler`, and clears the
   * transcript if the turn erased the chat's person.
   */
  receive(message: InboundMessage, handler: InboundHandler): Promise<void>;
  health(): ChannelHealth;
}

export interface LocalChannelDeps {
  logger: Logger;
  /** Whether a person is stored for this local chat (the store's identity lookup). */
  hasPerson: (chatId: string) => boolean;
  /** The line shown instead of a voice note, photo or file (mini-HTML, in the message's language). */
  mediaNote?: (type: MediaType, lang: string | undefined) => string;
}

interface Chat {
  events: LocalEvent[];
  /** Issued by `issue()`, so the HTTP API serves it. */
  issued: boolean;
  /** Whether a person was stored after the last turn (undefined: not asked yet). */
  person?: boolean;
}

export function createLocalChannel(deps: LocalChannelDeps): LocalChannel {
  const { logger } = deps;
  // Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  const chats = new Map<string, Chat>();
  const listeners = new Map<string, Set<LocalListener>>();
  // Starts at the wall clock, not 0: a page left open across a restart (after=N) still
  // receives the new process's messages instead of skipping them as already seen.
  let lastSeq = Date.now();

  function touch(chatId: string): Chat {
    const chat = chats.get(chatId) ?? { events: [], issued: false };
    chats.delete(chatId);
    chats.set(chatId, chat);
    while (chats.size > MAX_CHATS) {
      const oldest = chats.keys().next().value;
      if (oldest === undefined) break;
      chats.delete(oldest);
    }
    return chat;
  }

  function append(chatId: string, event: Omit<LocalEvent, 'seq'>): void {
    const { events } = touch(chatId);
    const full: LocalEvent = { seq: ++lastSeq, ...event };
    events.push(full);
    if (events.length > MAX_EVENTS_PER_CHAT) events.splice(0, events.length - MAX_EVENTS_PER_CHAT);
    for (const listener of listeners.get(chatId) ?? []) {
      // A broken page connection must not make the bot's send fail.
      try {
        listener(full);
      } catch (err) {
        logger.warn({ err: describeError(err), channel: 'local' }, 'local chat listener failed');
      }
    }
  }

  function send(chatId: string, message: LocalOutbound): Promise<SendOutcome> {
    const note = message.media ? (deps.mediaNote?.(message.media.type, message.lang) ?? `[${message.media.type}]`) : undefined;
    append(chatId, {
      from: 'bot',
      text: note === undefined ? message.text : message.text.trim() ? `<i>${note}</i>\n\n${message.text}` : `<i>${note}</i>`,
      choices: message.choices ?? [],
      attachment: message.attachment ?? null,
      ...(message.dir ? { dir: message.dir } : {}),
      ...(message.lang ? { lang: message.lang } : {}),
    });
    return Promise.resolve({ status: 'sent', externalId: String(lastSeq) });
  }

  function recordParent(chatId: string, content: InboundContent): void {
    append(chatId, { from: 'parent', text: parentText(chats.get(chatId)?.events ?? [], content), choices: [], attachment: null });
  }

  function subscribe(chatId: string, listener: LocalListener): () => void {
    touch(chatId);
    const set = listeners.get(chatId) ?? new Set<LocalListener>();
    set.add(listener);
    listeners.set(chatId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && listeners.get(chatId) === set) listeners.delete(chatId);
    };
  }

  function history(chatId: string, afterSeq: number): LocalEvent[] {
    if (!chats.has(chatId)) return [];
    return touch(chatId).events.filter((e) => e.seq > afterSeq);
  }

  function issue(): string {
    const chatId = randomBytes(16).toString('base64url');
    touch(chatId).issued = true;
    return chatId;
  }

  const knows = (chatId: string): boolean => chats.get(chatId)?.issued === true;

  function forget(chatId: string): void {
    chats.delete(chatId);
  }

  async function receive(message: InboundMessage, handler: InboundHandler): Promise<void> {
    const { chatId } = message.address;
    const atPost = chats.get(chatId)?.person ?? deps.hasPerson(chatId);
    recordParent(chatId, message.content);
    await handler(message);
    // Turns of one chat finish in order (the dispatcher), so `person` is the state after the
    // turn before this one, even when several messages were posted at once.
    const chat = chats.get(chatId);
    const before = chat?.person ?? atPost;
    const after = deps.hasPerson(chatId);
    if (chat) chat.person = after;
    if (before && !after) erase(chatId);
  }

  /** Clears the transcript; open pages get the notice and clear their screen. */
  function erase(chatId: string): void {
    const chat = chats.get(chatId);
    if (chat) chat.events = [];
    append(chatId, { from: 'system', notice: 'erased', text: '', choices: [], attachment: null });
    logger.info({ channel: 'local' }, 'local chat transcript cleared after erasure');
  }

  function health(): ChannelHealth {
    return { name: 'local', state: 'up', detail: `${chats.size} chats` };
  }

  return { name: 'local', send, recordParent, subscribe, history, issue, knows, forget, receive, health };
}

/** The parent's bubble as mini-HTML; a button press shows the label the parent saw. */
function parentText(events: LocalEvent[], content: InboundContent): string {
  switch (content.kind) {
    case 'text':
      return escapeHtml(content.text);
    case 'command':
      return escapeHtml(`/${content.command}${content.args ? ` ${content.args}` : ''}`);
    case 'choice':
      return labelOf(events, content.value) ?? escapeHtml(content.value);
    default:
      return '…';
  }
}

/** The label of the most recent bot button with this value (labels are already mini-HTML). */
function labelOf(events: LocalEvent[], value: string): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    for (const row of events[i]?.choices ?? []) {
      const hit = row.find((c) => c.url === undefined && c.value === value);
      if (hit) return hit.label;
    }
  }
  return undefined;
}
