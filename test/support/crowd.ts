/**
 * A crowd of new parents who all scanned the same flyer: each sends `/start <code>` to the
 * fake Bot API and goes through the whole onboarding as a new user would, answering each
 * question the moment it arrives, until the main menu ("finished"). A parent whose question
 * does not come within `replyTimeoutMs` is recorded as stuck; nothing throws.
 *
 * A turn is the bot's answer to one parent message: some texts, then one question with buttons.
 * Parents read the buttons' callback data (`<version>|<value>`), not the labels, so any
 * language works. The driver listens to the fake's `onSent` (one Map lookup per message, no
 * polling), so 1,000 parents cost what their messages cost.
 *
 * Order: per chat the bot's messages must arrive with rising message ids, and each turn must be
 * exactly the texts the flow sends, question last (`expected` per answer below). A text that
 * arrives after the question of its turn shows up as one too many in the next turn; both are
 * reported in `orderViolations`.
 */
import type { FakeBotApi, RecordedMessage } from './fake-bot-api.js';
import { seededRandom } from './seeded-random.js';

export interface CrowdOptions {
  api: FakeBotApi;
  parents: number;
  /** Initiative code in the flyer's deep link (`/start <code>`). */
  code: string;
  /** First chat id; parent i gets `firstChatId + i`. Default 880_000_001. */
  firstChatId?: number;
  /** A question must arrive within this long after each parent message. Default 30 s. */
  replyTimeoutMs?: number;
  /** Parents arrive evenly spread over this window. Default 0: all at once. */
  arrivalSpreadMs?: number;
  /** A parent waits this long before answering. Default 0. */
  thinkMs?: number;
  /** Languages parents pick, cycled (parent i picks languages[i % n]). Default mostly Dutch, some others. */
  languages?: string[];
  /** Seed for names, birth months, postcodes and who asks "tell me more". Default 1. */
  seed?: number;
  /** The date birth months are chosen around (the bot's clock). Default now. */
  today?: Date;
  /**
   * Tells proactive messages (reminders, invitations) from replies: those it matches are
   * counted in `proactive` and never belong to a turn. Without it, a reminder that lands in
   * the middle of an onboarding turn is reported as a turn out of order.
   */
  isProactive?: (message: RecordedMessage) => boolean;
  /** Called when a parent finishes or gets stuck. */
  onParentDone?: (parent: ParentOutcome) => void;
}

export interface ParentOutcome {
  chatId: number;
  finished: boolean;
  /** The question the parent was at (callback-value prefix) or the last action when stuck. */
  at: string;
  reason?: string;
  turns: number;
  /** ms from the first `/start` to the main menu (finished) or to giving up. */
  elapsedMs: number;
}

export interface CrowdResult {
  parents: number;
  finished: number;
  stuck: ParentOutcome[];
  /** Bot messages the parents received (all of them, late ones included). */
  totalMessages: number;
  /** ms from each parent message to the first bot message after it, every sample. */
  latencies: number[];
  /** ms from each parent message to the question that closed the turn. */
  turnLatencies: number[];
  /** From the first `/start` until the last parent finished or got stuck. */
  durationMs: number;
  /** Until the last parent finished (0 when none did). */
  lastFinishedMs: number;
  /** 429 answers and API requests during the run (the fake's stats, difference over the run). */
  tooMany: number;
  requests: number;
  messageRequests: number;
  maxInAnyWindow: number;
  orderViolations: string[];
  /** Messages that arrived while no turn of theirs was open (after finishing or getting stuck), or with buttons nobody expects. */
  unexpected: number;
  /** The first few of those: chat, whether the parent had finished, the start of the text, the button values. */
  unexpectedSamples: string[];
  /** Messages `isProactive` matched. */
  proactive: number;
}

type Action = { label: string; expected: number } & ({ kind: 'text'; text: string } | { kind: 'press'; data: string });

interface Profile {
  lang: string;
  name?: string;
  languageCode?: string;
  /** Types "03-2024" instead of pressing year and month. */
  typesBirth: boolean;
  wantsMore: boolean;
  birth: { year: number; month: number };
  postcode: string;
}

const NAMES = ['Fatima', 'Sanne', 'Mehmet', 'Anouk', 'Daan', 'Yasmina', 'Kwame', 'Olena', 'Priya', 'Noor', 'Bram', 'Ayşe', 'Joost', 'Hanna', 'Said', 'Lotte', 'Mariam', 'Tomasz'];
const DEFAULT_LANGUAGES = ['nl', 'nl', 'nl', 'en', 'nl', 'tr', 'nl', 'ar', 'nl', 'pl', 'nl', 'uk'];
const POSTCODES = ['1094', '1094 AB', '1091', '1092ZX', '3011'];


function profileOf(i: number, rnd: () => number, languages: string[], today: Date): Profile {
  const monthsAgo = 3 + Math.floor(rnd() * 36);
  const idx = today.getUTCFullYear() * 12 + today.getUTCMonth() - monthsAgo;
  const lang = languages[i % languages.length] ?? 'nl';
  const r = rnd();
  return {
    lang,
    ...(r < 0.85 ? { name: NAMES[Math.floor(rnd() * NAMES.length)] ?? 'Sam' } : {}),
    ...(r < 0.5 ? { languageCode: lang } : {}),
    typesBirth: rnd() < 0.4,
    wantsMore: rnd() < 0.1,
    birth: { year: Math.floor(idx / 12), month: (idx % 12) + 1 },
    postcode: POSTCODES[Math.floor(rnd() * POSTCODES.length)] ?? '1094',
  };
}

interface Keyboard {
  values: string[];
  /** Full callback data by value. */
  data: Map<string, string>;
}

function keyboardOf(message: RecordedMessage): Keyboard | null {
  const rows = (message.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined)?.inline_keyboard;
  if (!rows?.length) return null;
  const data = new Map<string, string>();
  for (const b of rows.flat()) {
    if (b.callback_data === undefined) continue;
    const bar = b.callback_data.indexOf('|');
    data.set(bar < 0 ? b.callback_data : b.callback_data.slice(bar + 1), b.callback_data);
  }
  return { values: [...data.keys()], data };
}

const press = (kb: Keyboard, value: string, label: string, expected: number): Action | null => {
  const data = kb.data.get(value);
  return data === undefined ? null : { kind: 'press', data, label, expected };
};

/**
 * What a new parent does with a question, and how many messages the bot's answer has (its
 * texts and the next question), as src/flows/onboarding.flow.ts and child-entry.ts send them.
 * 'finished' at the main menu; null for buttons that are not an onboarding question.
 */
function decide(kb: Keyboard, p: Profile, memory: { askedMore: boolean }): Action | 'finished' | null {
  const has = (prefix: string): boolean => kb.values.some((v) => v.startsWith(prefix));
  if (has('menu:')) return 'finished';
  if (has('lang:')) return press(kb, `lang:${p.lang}`, 'language', 2) ?? press(kb, kb.values.find((v) => v.startsWith('lang:')) ?? '', 'language', 2);
  if (kb.data.has('consent:yes')) {
    if (p.wantsMore && !memory.askedMore) {
      memory.askedMore = true;
      return press(kb, 'consent:more', 'consent:more', 2);
    }
    return press(kb, 'consent:yes', 'consent', 2);
  }
  if (kb.data.has('name:skip')) return p.name ? { kind: 'text', text: p.name, label: 'name', expected: 2 } : press(kb, 'name:skip', 'name', 1);
  if (has('y:')) {
    if (p.typesBirth) return { kind: 'text', text: `${String(p.birth.month).padStart(2, '0')}-${p.birth.year}`, label: 'birth', expected: 2 };
    return press(kb, `y:${p.birth.year}`, 'year', 1);
  }
  if (has('m:')) return press(kb, `m:${p.birth.month}`, 'month', 2);
  if (kb.data.has('more:no')) return press(kb, 'more:no', 'more', 1);
  // Joined through the deep link: the postcode leads straight to "how did you hear of us".
  if (kb.data.has('pc:skip')) return { kind: 'text', text: p.postcode, label: 'postcode', expected: 1 };
  if (has('i:')) return press(kb, kb.values.find((v) => /^i:\d/.test(v)) ?? 'i:none', 'initiative', 1);
  if (has('h:')) return press(kb, 'h:flyer', 'heard_from', 2) ?? press(kb, kb.values.find((v) => v.startsWith('h:')) ?? '', 'heard_from', 2);
  return null;
}

interface Parent {
  chatId: number;
  profile: Profile;
  memory: { askedMore: boolean };
  startedAt: number;
  turns: number;
  /** Open turn: what the parent did and when. */
  action: Action | null;
  actedAt: number;
  gotFirst: boolean;
  turnMessages: number;
  /** The start of each message of the open turn, for the report of a turn out of order. */
  turnTexts: string[];
  lastMessageId: number;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export async function runCrowd(options: CrowdOptions): Promise<CrowdResult> {
  const { api, parents: count, code } = options;
  const firstChatId = options.firstChatId ?? 880_000_001;
  const replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
  const thinkMs = options.thinkMs ?? 0;
  const spread = options.arrivalSpreadMs ?? 0;
  const rnd = seededRandom(options.seed ?? 1);
  const languages = options.languages?.length ? options.languages : DEFAULT_LANGUAGES;
  const today = options.today ?? new Date();
  const before = api.stats();

  const latencies: number[] = [];
  const turnLatencies: number[] = [];
  const orderViolations: string[] = [];
  const outcomes: ParentOutcome[] = [];
  let totalMessages = 0;
  let unexpected = 0;
  let proactive = 0;
  const unexpectedSamples: string[] = [];
  const noteUnexpected = (p: Parent, message: RecordedMessage, kb: Keyboard | null): void => {
    unexpected++;
    if (unexpectedSamples.length >= 10) return;
    const where = p.done ? 'after the end' : 'during a turn';
    unexpectedSamples.push(`chat ${p.chatId} ${where}: ${JSON.stringify((message.plain ?? message.document?.filename ?? '').slice(0, 60))}${kb ? ` [${kb.values.join(' ')}]` : ''}`);
  };
  let lastFinishedAt = 0;
  const started = performance.now();
  const byChat = new Map<number, Parent>();
  let remaining = count;
  let allDone: () => void = () => {};
  const finishedAll = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const timers = new Set<NodeJS.Timeout>();

  const end = (p: Parent, finished: boolean, at: string, reason?: string): void => {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    p.action = null;
    const now = performance.now();
    if (finished) lastFinishedAt = Math.max(lastFinishedAt, now);
    const outcome: ParentOutcome = { chatId: p.chatId, finished, at, turns: p.turns, elapsedMs: now - p.startedAt, ...(reason ? { reason } : {}) };
    outcomes.push(outcome);
    options.onParentDone?.(outcome);
    if (--remaining === 0) allDone();
  };

  const act = (p: Parent, action: Action): void => {
    p.action = action;
    p.turns++;
    p.gotFirst = false;
    p.turnMessages = 0;
    p.turnTexts = [];
    p.timer = setTimeout(() => end(p, false, action.label, `no question within ${replyTimeoutMs} ms after "${action.label}"`), replyTimeoutMs);
    p.actedAt = performance.now();
    const user = { ...(p.profile.languageCode ? { languageCode: p.profile.languageCode } : {}), firstName: p.profile.name ?? 'Ouder' };
    if (action.kind === 'text') api.sendText(p.chatId, action.text, user);
    else api.press(p.chatId, action.data, user);
  };

  const later = (fn: () => void, ms: number): void => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const onMessage = (chatId: number, message: RecordedMessage): void => {
    const p = byChat.get(chatId);
    if (!p) return;
    totalMessages++;
    if (message.message_id <= p.lastMessageId) orderViolations.push(`chat ${chatId}: message ${message.message_id} arrived after ${p.lastMessageId}`);
    p.lastMessageId = Math.max(p.lastMessageId, message.message_id);
    if (options.isProactive?.(message)) {
      proactive++;
      return;
    }
    const action = p.action;
    if (!action || p.done) {
      noteUnexpected(p, message, keyboardOf(message));
      return;
    }
    // The fake calls this synchronously as it records the message: now is the arrival time.
    const now = performance.now();
    if (!p.gotFirst) {
      p.gotFirst = true;
      latencies.push(now - p.actedAt);
    }
    p.turnMessages++;
    p.turnTexts.push((message.plain ?? message.document?.filename ?? '').slice(0, 30));
    const kb = keyboardOf(message);
    if (!kb) return;
    const next = decide(kb, p.profile, p.memory);
    if (next === null) {
      // Buttons that are no onboarding question (an invitation, say): not the end of this turn.
      noteUnexpected(p, message, kb);
      p.turnMessages--;
      p.turnTexts.pop();
      return;
    }
    turnLatencies.push(now - p.actedAt);
    if (p.turnMessages !== action.expected) {
      orderViolations.push(`chat ${chatId}: the answer to "${action.label}" (turn ${p.turns}) had ${p.turnMessages} message(s), expected ${action.expected}, question last: ${JSON.stringify(p.turnTexts)}`);
    }
    clearTimeout(p.timer);
    p.action = null;
    if (next === 'finished') return end(p, true, 'menu');
    later(() => {
      if (!p.done) act(p, next);
    }, thinkMs);
  };

  const unsubscribe = api.onSent(onMessage);
  try {
    for (let i = 0; i < count; i++) {
      const chatId = firstChatId + i;
      const p: Parent = {
        chatId,
        profile: profileOf(i, rnd, languages, today),
        memory: { askedMore: false },
        startedAt: 0,
        turns: 0,
        action: null,
        actedAt: 0,
        gotFirst: false,
        turnMessages: 0,
        turnTexts: [],
        lastMessageId: 0,
        timer: undefined,
        done: false,
      };
      byChat.set(chatId, p);
      later(
        () => {
          p.startedAt = performance.now();
          act(p, { kind: 'text', text: `/start ${code}`, label: 'start', expected: 2 });
        },
        count > 1 ? Math.round((spread * i) / (count - 1)) : 0,
      );
    }
    if (count === 0) allDone();
    await finishedAll;
  } finally {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    for (const p of byChat.values()) clearTimeout(p.timer);
  }
  const after = api.stats();
  const stuck = outcomes.filter((o) => !o.finished).sort((a, b) => a.chatId - b.chatId);
  return {
    parents: count,
    finished: count - stuck.length,
    stuck,
    totalMessages,
    latencies,
    turnLatencies,
    durationMs: performance.now() - started,
    lastFinishedMs: lastFinishedAt ? lastFinishedAt - started : 0,
    tooMany: after.tooMany - before.tooMany,
    requests: after.requests - before.requests,
    messageRequests: after.messageRequests - before.messageRequests,
    maxInAnyWindow: after.maxInAnyWindow,
    orderViolations,
    unexpected,
    unexpectedSamples,
    proactive,
  };
}

/** The p-th percentile (nearest rank) of the samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

export const p50 = (samples: readonly number[]): number => percentile(samples, 50);
export const p95 = (samples: readonly number[]): number => percentile(samples, 95);
export const p99 = (samples: readonly number[]): number => percentile(samples, 99);
