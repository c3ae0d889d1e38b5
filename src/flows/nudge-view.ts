/**
 * How a nudge is shown to its coordinator (pure): its moment and audience in words, its runs,
 * and the preview of its message exactly as each language group reads it (the very renderer
 * the delivery uses, src/domain/broadcast-message.ts).
 */
import type { Reply, Text, TextParam } from '../core/messages.js';
import { broadcastReply } from '../domain/broadcast-message.js';
import type { AudienceFilter, BroadcastVersionView, SmallCount } from '../domain/broadcast.types.js';
import { ageText } from '../domain/delivery-message.js';
import { localAt } from '../domain/local-time.js';
import { parseDayString } from '../domain/nudge-schedule.js';
import type { NudgeMoment, NudgeRunView, NudgeVersionInput, NudgeView } from '../domain/nudge.types.js';
import type { FlowContext } from './flow.types.js';
import { text } from './kit.js';

/** Texts one below the other in one message. */
export function lines(first: Text, ...rest: Text[]): Text {
  const [next, ...more] = rest;
  return next ? text('nudge:join', { first, rest: lines(next, ...more) }) : first;
}

export const countText = (n: SmallCount): TextParam => (n === 'fewer-than-5' ? text('nudge:count.fewer') : n);

export const languageName = (code: string, ctx: FlowContext): string => ctx.languages.find((l) => l.code === code)?.endonym ?? code;

export function momentText(m: NudgeMoment, zone: string): Text {
  switch (m.type) {
    case 'once': {
      const day = parseDayString(m.date);
      const when = day ? localAt(day, m.at, zone).toISOString() : m.date;
      return text('nudge:moment.once', { when: { dateTime: when, timeZone: zone } });
    }
    case 'weekly':
      return text('nudge:moment.weekly', { weekday: text(`nudge:weekday.${m.weekday}`), time: m.at });
    case 'monthly':
      return text('nudge:moment.monthly', { day: m.day, time: m.at });
    case 'childAge':
      return text('nudge:moment.childAge', { age: ageText(m.months), time: m.at });
    case 'event':
      return text('nudge:moment.event', { days: text('nudge:days', { count: m.daysBefore }), kind: text(m.eventKind ? `nudge:eventKind.${m.eventKind}` : 'nudge:eventKind.any'), time: m.at });
  }
}

export function audienceText(a: AudienceFilter, ctx: FlowContext): Text {
  const parts: Text[] = [];
  if (a.registered !== undefined) parts.push(text(a.registered ? 'nudge:audience.registered' : 'nudge:audience.notRegistered'));
  if (a.bornFrom && a.bornTo) parts.push(text('nudge:audience.born', { from: monthParam(a.bornFrom), to: monthParam(a.bornTo) }));
  if (a.languages?.length) parts.push(text('nudge:audience.languages', { languages: a.languages.map((l) => languageName(l, ctx)).join(', ') }));
  const [first, ...rest] = parts;
  return first ? lines(text('nudge:audience.some'), first, ...rest) : text('nudge:audience.all');
}

const monthParam = (ym: string): TextParam => {
  const [year, month] = ym.split('-').map(Number) as [number, number];
  return { yearMonth: { year, month } };
};

const STATUS_KEYS = { active: 'nudge:status.active', paused: 'nudge:status.paused', cancelled: 'nudge:status.cancelled', done: 'nudge:status.done' } as const;

/** One nudge in a few lines: what, when, to whom, status, next moment. */
export function nudgeSummary(n: NudgeView, first: string, ctx: FlowContext, zone: string): Text {
  const out = [text('nudge:show.title', { id: n.id, text: clip(first) }), momentText(n.moment, zone), audienceText(n.audience, ctx), text(STATUS_KEYS[n.status])];
  if (n.nextAt && n.status === 'active') out.push(text('nudge:show.next', { when: { dateTime: n.nextAt.toISOString(), timeZone: zone } }));
  const [head, ...rest] = out;
  return lines(head as Text, ...rest);
}

/** The first words of a text (a nudge's name in lists). */
export const clip = (s: string, max = 40): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1).trimEnd()}…`;
};

export function runLine(r: NudgeRunView<SmallCount>, zone: string): Text {
  const key = r.broadcastId === null && r.trigger !== 'rule' ? 'nudge:runs.missed' : r.trigger === 'rule' ? 'nudge:runs.day' : r.trigger === 'manual' ? 'nudge:runs.manual' : 'nudge:runs.scheduled';
  return text(key, {
    when: r.trigger === 'rule' ? { date: r.key } : { dateTime: r.at.toISOString(), timeZone: zone },
    delivered: countText(r.counts.delivered),
    failed: countText(r.counts.failed),
    skipped: countText(r.counts.skipped),
    waiting: countText(r.counts.waiting),
  });
}

// A voice version shows as its spoken-message line (the preview sends text only, never the file).
const asVersions = (vs: readonly NudgeVersionInput[]): BroadcastVersionView[] =>
  vs.map((v) => ({ lang: v.lang, text: v.text || null, media: v.voice || v.mediaId ? { mediaId: v.mediaId ?? 0, type: 'voice' as const } : null, machine: false, approved: true }));

/**
 * The message as each language group reads it: one preview per version, then one for a parent
 * whose language has no version (Dutch plus the line in their own language). The "help" button
 * of the fallback is left out here: pressing it in a preview would ask a real question.
 */
export function previewReplies(id: number, versions: readonly NudgeVersionInput[], ctx: FlowContext, initiative: { name: string } | null): Reply[] {
  const b = { id, versions: asVersions(versions) };
  const out: Reply[] = [];
  const as = (reader: string): Reply => {
    const r = broadcastReply(b, reader, null, initiative);
    return { text: { ...r.text, lng: reader } };
  };
  for (const v of versions) out.push({ text: text('nudge:preview.as', { language: languageName(v.lang, ctx) }) }, as(v.lang));
  const other = ctx.languages.find((l) => !versions.some((v) => v.lang === l.code));
  if (other) out.push({ text: text('nudge:preview.fallback', { language: other.endonym }) }, as(other.code));
  return out;
}
