/**
 * How the relay's messages read (pure): the card a staff member sees of a thread (in a notice or
 * in the staff list), and the notices of a thread rendered at send time from the thread itself,
 * so a notice row carries ids only and an erased parent's thread is never sent (it is gone).
 *
 * Notice keys (payload.key) and who gets them:
 *   relay:notice.offer / offerCall  staff of the current tier: the card and "I'll answer" (skipped once claimed or closed)
 *   relay:notice.reply              the claimer: the parent's new message, with "Answer" and "Close"
 *   relay:notice.answer             the parent: the staff member's message, with "Close my question"
 *   relay:notice.taken              a staff member who pressed "I'll answer" a moment too late
 *   relay:notice.released           a claimer who did not answer in 24 h: the question moved on
 *   relay:notice.closedByParent / closedByStaff   the other side of a closed thread
 *   relay:notice.nobody             the parent, when no tier is left
 *   outreach:notice.task            staff asked to contact a parent for the outreach ladder (its call-back task): the card and "I'll contact them"
 *   outreach:notice.message         the parent: a personal message of the staff member in such a task
 *   outreach:notice.noSpeaker       coordinators: no ambassador speaks the parent's language; where the task went
 */
import type { Choice, Text, TextParam } from '../core/messages.js';
import type { RelayStatus, StaffCard } from './relay.types.js';

/** Button values (router prefix `rl:`; at most 56 bytes). */
export const relayButton = {
  claim: (id: number) => `rl:claim:${id}`,
  reply: (id: number) => `rl:re:${id}`,
  close: (id: number) => `rl:close:${id}`,
  show: (id: number) => `rl:show:${id}`,
  outcome: (id: number, outcome: string) => `rl:out:${id}:${outcome}`,
} as const;

const btn = (value: string, key: string, params?: Record<string, TextParam>): Choice => ({ value, label: params ? { key, params } : { key } });

/** "1 jaar en 3 jaar": the distinct age bands as one list in the reader's language ("–" without children). */
export function bandsText(card: Pick<StaffCard, 'ageBands'>): TextParam {
  const bands = [...new Set(card.ageBands)].map((b): TextParam => ({ key: `relay:band.${b}` }));
  if (!bands.length) return '–';
  let list = bands[bands.length - 1] as TextParam;
  if (bands.length > 1) list = { key: 'nurture:list.two', params: { first: bands[bands.length - 2] as TextParam, second: list } };
  for (let i = bands.length - 3; i >= 0; i--) list = { key: 'nurture:list.more', params: { first: bands[i] as TextParam, rest: list } };
  return list;
}

/** What the parent asked: their own words, or what the button they pressed means. */
export function questionText(card: Pick<StaffCard, 'thread' | 'messages' | 'about'>, max = 1500): TextParam {
  const said = card.messages
    .filter((m) => m.fromParent)
    .map((m) => m.text)
    .join('\n');
  const own = [...said].length > max ? `${[...said].slice(0, max).join('')}…` : said;
  const t = card.thread;
  let what: Text | null = null;
  if (t.source === 'helpRequest') what = { key: 'relay:source.helpRequest' };
  else if (t.source === 'ladder') what = { key: t.kind === 'callback' ? 'outreach:source.task' : `outreach:source.${t.sourceRef === 'visit' ? 'visit' : 'help'}` };
  else if (t.source === 'interest' && t.sourceRef) what = { key: 'relay:source.interest', params: { action: { key: `phases:actions.${t.sourceRef}.title` } } };
  else if (t.source === 'broadcast') what = { key: 'relay:source.broadcast', params: { about: card.about ?? '–' } };
  else if (t.kind === 'callback' && !own) what = { key: 'relay:source.callback' };
  if (what && own) return { key: 'relay:source.withText', params: { what, text: own } };
  return what ?? (own || '–');
}

/** The card's parameters: number, first name, language, age bands, the question. */
export function cardParams(card: StaffCard): Record<string, TextParam> {
  return {
    n: card.thread.id,
    parent: card.firstName ?? '–',
    parentLanguage: { key: 'meta:endonym', lng: card.language },
    ages: bandsText(card),
    question: questionText(card),
  };
}

/** Everything a notice of a thread needs at send time (the recipient's view). */
export interface RelayNoticeView {
  card: StaffCard;
  /** The message this notice relays (reply/answer), if any. */
  message: { text: string; authorName: string | null } | null;
  initiative: { name: string; contact: string } | null;
}

/** The notice's parameters and buttons; null: no longer true, do not send (an offer already claimed). */
export function relayNoticeParts(key: string, view: RelayNoticeView): { params: Record<string, TextParam>; choices: Choice[][] } | null {
  const id = view.card.thread.id;
  const status: RelayStatus = view.card.thread.status;
  const params: Record<string, TextParam> = { ...cardParams(view.card) };
  if (view.message) Object.assign(params, { text: view.message.text, staff: view.message.authorName ?? { key: 'relay:someone' } });
  if (view.initiative) Object.assign(params, { name: view.initiative.name, contact: view.initiative.contact || '–' });
  switch (key) {
    case 'relay:notice.offer':
    case 'relay:notice.offerCall':
      if (status !== 'open') return null;
      return { params, choices: [[btn(relayButton.claim(id), view.card.thread.kind === 'callback' ? 'relay:button.claimCall' : 'relay:button.claim')]] };
    case 'outreach:notice.task':
      if (status !== 'open') return null;
      return { params, choices: [[btn(relayButton.claim(id), 'outreach:button.claim')]] };
    case 'relay:notice.reply':
      return { params, choices: status === 'closed' ? [] : [[btn(relayButton.reply(id), 'relay:button.reply'), btn(relayButton.close(id), 'relay:button.close')]] };
    case 'relay:notice.answer':
      return { params, choices: status === 'closed' ? [] : [[btn(relayButton.close(id), 'relay:button.closeMine')]] };
    default:
      return { params, choices: [] };
  }
}
