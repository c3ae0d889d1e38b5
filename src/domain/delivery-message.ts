/**
 * Turns a delivery's payload into a reply (i18n keys, parameters and answer buttons) at
 * send time, so the parent reads it in the language they have *then*, with the event's
 * title and place in that language. Button values are handled by src/flows/nurture.flow.ts.
 */
import { isLinkUrl, type Choice, type Reply, type Text, type TextParam } from '../core/messages.js';
import { monthIndex } from './birth-month.js';
import { localDayOf } from './local-time.js';
import type { DeliveryPayload } from './nurture.types.js';
import { approvalChoices, broadcastDeliveryReply } from './broadcast-message.js';
import type { BroadcastStatus, BroadcastVersionView } from './broadcast.types.js';
import { outreachButtons } from './outreach-message.js';
import { relayNoticeParts, type RelayNoticeView } from './relay-notice.js';
import type { ButtonSet } from './reminder-rules.js';

export interface MessageLookups {
  initiative: { name: string; school: string } | null;
  event: { title: string; place: string; startsAt: Date; timeZone: string } | null;
  /** The newsletter's text in the reader's language (or Dutch). */
  newsletterText: string | null;
  /** The parent a notice is about (a help request): the name they gave and their language. */
  about?: { name: string | null; language: string } | null;
  /**
   * The moment the parent reads it (the send time) and the initiative's zone: every relative
   * phrase ("nog 3 dagen", an age) is computed from these, never fixed in the rule's wording.
   */
  now?: Date;
  timeZone?: string;
  /** A broadcast's copy or approval request: the broadcast as it is at send time (null: gone). */
  broadcast?: { id: number; status: BroadcastStatus; versions: BroadcastVersionView[]; initiativeName: string } | null;
  /** The reader's language now and their second language for broadcasts ('en' or null: Dutch). */
  reader?: { language: string; fallback: 'en' | null };
  /** A relay notice's thread as the recipient may see it (src/domain/relay-notice.ts); null: no longer true, not sent. */
  relay?: RelayNoticeView | null;
  /** The initiative's outreach voice note in the reader's language (payload.outreachVoice); null: none, text only. */
  voice?: { mediaId: number } | null;
}

type PayloadChild = NonNullable<DeliveryPayload['children']>[number];

/** Whole calendar days from the reader's local day to a local day ("YYYY-MM-DD"). */
export function daysUntil(day: string, now: Date, zone: string): number {
  const today = localDayOf(now, zone);
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(today.year, today.month - 1, today.day)) / 86_400_000);
}

/** Age in whole months on the reader's local day (the birth month counts as month 0). */
export function ageMonthsAt(child: { year: number; month: number }, now: Date, zone: string): number {
  const today = localDayOf(now, zone);
  return monthIndex(today) - monthIndex(child);
}

/** "nog 3 dagen" / "vandaag is de laatste dag" (days ≤ 0: the day itself). */
export function daysLeftText(days: number): Text {
  return days <= 0 ? { key: 'nurture:left.today' } : { key: 'nurture:left.days', params: { count: days } };
}

/**
 * "2 jaar en 3 maanden", "11 maanden", "3 jaar", each with its own plural. Born this month:
 * "nog geen maand", never "0 maanden" (Portuguese "0 mês"). Not days or "a few weeks": only
 * the birth month is stored, so the day is unknown, and "under a month" is the one thing true.
 */
export function ageText(months: number): Text {
  if (months < 1) return { key: 'nurture:age.underOneMonth' };
  const years = Math.floor(months / 12);
  const rest = months % 12;
  if (years === 0) return { key: 'nurture:age.months', params: { count: rest } };
  if (rest === 0) return { key: 'nurture:age.years', params: { count: years } };
  return { key: 'nurture:age.yearsMonths', params: { years: { key: 'nurture:age.years', params: { count: years } }, months: { key: 'nurture:age.months', params: { count: rest } } } };
}

/** The distinct birth months as one list in the reader's language ("maart 2024 en juni 2025"). */
function monthList(children: PayloadChild[]): TextParam {
  const seen = new Set<string>();
  const months: TextParam[] = [];
  for (const c of children) {
    const k = `${c.year}-${c.month}`;
    if (seen.has(k)) continue;
    seen.add(k);
    months.push({ yearMonth: { year: c.year, month: c.month } });
  }
  let list = months[months.length - 1] as TextParam;
  if (months.length > 1) list = { key: 'nurture:list.two', params: { first: months[months.length - 2] as TextParam, second: list } };
  for (let i = months.length - 3; i >= 0; i--) list = { key: 'nurture:list.more', params: { first: months[i] as TextParam, rest: list } };
  return list;
}

/** The line that says which children a message is about (and their age, when the rule is about age). */
function aboutLine(payload: DeliveryPayload, look: MessageLookups): Text | null {
  const kids = payload.children ?? [];
  if (!kids.length || !(payload.nameChildren || payload.age)) return null;
  const several = kids.length > 1 ? 'several' : 'one';
  const births = monthList(kids);
  const first = kids[0] as PayloadChild;
  if (payload.age && look.now) {
    const age = ageText(Math.max(0, ageMonthsAt(first, look.now, look.timeZone ?? 'Europe/Amsterdam')));
    return { key: `nurture:about.${several}Age`, params: { births, age } };
  }
  return payload.nameChildren ? { key: `nurture:about.${several}`, params: { births } } : null;
}

/** "Aangemeld (maart 2024)": a button of one child among several; twins (one month) are numbered. */
function childButtons(set: ButtonSet, payload: DeliveryPayload, kids: PayloadChild[]): Choice[][] {
  const months = kids.map((c) => `${c.year}-${c.month}`);
  const label = (c: PayloadChild, i: number, key: string): Text => {
    const births: TextParam = { yearMonth: { year: c.year, month: c.month } };
    const twin = months.filter((m) => m === months[i]).length > 1;
    const number = months.slice(0, i + 1).filter((m) => m === months[i]).length;
    return twin ? { key: 'nurture:button.forTwin', params: { action: { key: `nurture:button.${key}` }, births, number } } : { key: 'nurture:button.forChild', params: { action: { key: `nurture:button.${key}` }, births } };
  };
  const one = (value: string, key: string, c: PayloadChild, i: number): Choice => ({ value, label: label(c, i, key) });
  switch (set) {
    case 'registration':
      return [...kids.map((c, i) => [one(`reg:${c.id}:done`, 'registered', c, i)]), [button(`reg:${kids[0]!.id}:help`, 'help')]];
    case 'born':
      return [...kids.map((c, i) => [one(`born:${c.id}:yes`, 'born', c, i)]), [button(`born:${kids[0]!.id}:no`, 'notYet')]];
    case 'placement':
      return kids.flatMap((c, i) => [[one(`pl:${c.id}:yes`, 'placed', c, i), one(`pl:${c.id}:no`, 'notPlaced', c, i)], [one(`pl:${c.id}:unknown`, 'dontKnow', c, i)]]);
    default:
      return buttonsFor(set, payload);
  }
}

const button = (value: string, key: string): Choice => ({ value, label: { key: `nurture:button.${key}` } });

export function buttonsFor(set: ButtonSet | null, payload: DeliveryPayload): Choice[][] {
  const child = payload.childId ?? 0;
  switch (set) {
    case 'registration':
      return [[button(`reg:${child}:done`, 'registered')], [button(`reg:${child}:help`, 'help')]];
    case 'rsvp':
      return [[button(`ev:${payload.eventId ?? 0}:yes`, 'yes'), button(`ev:${payload.eventId ?? 0}:maybe`, 'maybe'), button(`ev:${payload.eventId ?? 0}:no`, 'no')]];
    case 'born':
      return [[button(`born:${child}:yes`, 'born'), button(`born:${child}:no`, 'notYet')]];
    case 'keepInTouch':
      return [[button('kit:yes', 'keepInTouch')], [button('kit:no', 'noThanks')]];
    case 'placement':
      return [[button(`pl:${child}:yes`, 'placed'), button(`pl:${child}:no`, 'notPlaced')], [button(`pl:${child}:unknown`, 'dontKnow')]];
    case 'newsletter':
      return [[button('nlc:yes', 'newsletterYes'), button('nlc:no', 'noThanks')]];
    case 'retention':
      return [[button('ret:keep', 'stayInTouch')]];
    case 'broadcastApproval':
      return approvalChoices(payload.broadcastId ?? 0);
    case 'broadcastRejected':
      return [[{ value: `bc:redo:${payload.broadcastId ?? 0}`, label: { key: 'broadcast:button.redo' } }]];
    case 'outreachPlay':
    case 'outreachVisit':
    case 'outreachRegister':
    case 'outreachStart':
    case 'outreachGeneral':
    case 'outreachCall':
      return outreachButtons(set, payload);
    case null:
      return [];
  }
}

/** The payload's links as buttons, one row each ("Bekijk de pagina van de gemeente"); only https addresses. */
export function linkButtons(payload: DeliveryPayload): Choice[][] {
  return (payload.links ?? []).filter((l) => isLinkUrl(l.url)).map((l, i) => [{ value: `link:${i}`, label: { key: l.label }, url: l.url }]);
}

export function deliveryReply(payload: DeliveryPayload, look: MessageLookups): Reply {
  const bc = payload.broadcastId !== undefined && look.broadcast ? broadcastDeliveryReply(payload, look.broadcast, look.reader ?? { language: 'nl', fallback: null }) : null;
  if (bc) return bc;
  const params: Record<string, TextParam> = { ...payload.params };
  if (look.initiative) Object.assign(params, { school: look.initiative.school, name: look.initiative.name });
  if (look.event) {
    Object.assign(params, { title: look.event.title, place: look.event.place, when: { dateTime: look.event.startsAt.toISOString(), timeZone: look.event.timeZone } });
  }
  if (payload.newsletterSlot !== undefined) params.text = look.newsletterText ?? '';
  if (look.about) Object.assign(params, { parent: look.about.name ?? '–', parentLanguage: { key: 'meta:endonym', lng: look.about.language } });
  if (payload.countdown && look.now) params.left = daysLeftText(daysUntil(payload.countdown, look.now, look.timeZone ?? 'Europe/Amsterdam'));
  const relay = look.relay ? relayNoticeParts(payload.key, look.relay) : null;
  if (relay) Object.assign(params, relay.params);
  const body: Text = { key: payload.key, params };
  const about = aboutLine(payload, look);
  const reply: Reply = { text: about ? { key: 'nurture:frame', params: { about, body } } : body };
  const kids = payload.children ?? [];
  const choices = kids.length > 1 && payload.buttons ? childButtons(payload.buttons, payload, kids) : buttonsFor(payload.buttons, payload);
  if (relay) choices.push(...relay.choices);
  choices.push(...linkButtons(payload));
  if (choices.length) reply.choices = choices;
  if (payload.outreachVoice && look.voice) reply.media = { mediaId: look.voice.mediaId, type: 'voice' };
  return reply;
}

/** The message's own text (without the line naming the children): the params a channel's template fills. */
export const bodyOf = (reply: Reply): Text => (reply.text.key === 'nurture:frame' ? (reply.text.params?.body as Text) : reply.text);

/**
 * For a channel that fills approved templates (WhatsApp outside the 24-hour window): the line
 * naming the children, also for one child whose message does not show it, so a template's
 * `about` variable always has a true value; null for a message about no child.
 */
export function templateAbout(payload: DeliveryPayload, look: MessageLookups): Text | null {
  return payload.children?.length ? aboutLine({ ...payload, nameChildren: true }, look) : null;
}

/** A button per child (siblings): a template's fixed quick replies cannot show them. */
export const hasChildButtons = (payload: DeliveryPayload): boolean =>
  (payload.children?.length ?? 0) > 1 && (payload.buttons === 'registration' || payload.buttons === 'born' || payload.buttons === 'placement');
