/**
 * Broadcast, steps 4–6: the preview exactly as each language group will see it
 * (src/domain/broadcast-message.ts#broadcastReply, the same function the delivery renders
 * with), the moment (now, or a day and time in the initiative's time zone, never in the past)
 * and the confirmation, which submits the draft: it then waits for a coordinator's approval
 * or is scheduled. States: `preview`, `fix`, `timing`, `day`, `time`, `confirm`.
 */
import type { Choice, Reply, Text } from '../core/messages.js';
import { broadcastReply, isSendable, pickVersion } from '../domain/broadcast-message.js';
import type { BroadcastView, SmallCount } from '../domain/broadcast.types.js';
import { addDays, formatDay, localAt, localDayOf, type LocalDay } from '../domain/local-time.js';
import type { Effect, FlowContext } from './flow.types.js';
import { choice, rows, say, text } from './kit.js';
import { ask, bare, bc, countText, draftOf, go, initiativeName, languageName, lines, mayApprove, readsOf, type Compose, type StepDef } from './broadcast-common.flow.js';
import { describeVersion, versionsNow } from './broadcast-versions.flow.js';

/** Days offered as buttons (today and the next 13); a typed date may be up to 90 days ahead. */
const DAY_BUTTONS = 14;
const MAX_DAYS_AHEAD = 90;
const TIMES = ['09:00', '10:00', '12:00', '14:00', '16:00', '19:00'] as const;
/** Most parents' quiet hours (the default 20:00–08:30): a moment in them is said to arrive later. */
const QUIET_FROM = '20:00';
const QUIET_UNTIL = '08:30';

/** The preview's buttons (the relay's "Help" under a fallback) do nothing in the author's chat. */
export const PREVIEW_BUTTON = 'bc:pv';

/** How one language group sees the broadcast, under a line saying which group it is. */
export function previewFor(b: Pick<BroadcastView, 'id' | 'versions'>, lang: string, n: SmallCount | null, ctx: FlowContext, initiativeId: number): Reply {
  const initiative = ctx.directory.initiativeById(initiativeId);
  const reply = broadcastReply(b, lang, null, initiative);
  const own = pickVersion(b.versions, lang, null)?.lang === lang;
  const language = languageName(lang, ctx);
  const count = n === null ? '–' : countText(n);
  const header: Text[] = [text(own ? 'compose:preview.group' : 'compose:preview.groupFallback', { language, n: count })];
  const english = b.versions.find((v) => v.lang === 'en');
  if (!own && lang !== 'en' && english && isSendable(english)) header.push(text('compose:preview.englishToo'));
  const framed: Reply = { text: text('compose:preview.framed', { header: lines(header[0] ?? text('compose:preview.group'), ...header.slice(1)), body: { ...reply.text, lng: lang } }) };
  if (reply.media) framed.media = reply.media;
  if (reply.choices) framed.choices = reply.choices.map((row) => row.map((ch): Choice => ({ value: PREVIEW_BUTTON, label: { ...ch.label, lng: lang } })));
  return framed;
}

const preview: StepDef = {
  prompt: (c, ctx, pending) => {
    // A file sent this turn has no stored id yet: the preview follows on the next tap.
    if (pending.some((e) => e.type === 'broadcast' && e.command.op === 'versionMedia')) return [ask('compose:preview.ready', undefined, [[choice('bc:preview', 'compose:button.preview')]])];
    const b = draftOf(c, ctx);
    if (!b) return [];
    const view = { id: b.id, versions: versionsNow(b, pending) };
    const count = readsOf(ctx)?.audienceCount(c.ini, c.aud, ctx.now);
    const cell = (lang: string): SmallCount | null => count?.byLanguage.find((l) => l.lang === lang)?.count ?? null;
    const groups = (c.langs ?? ['nl']).map((lang) => previewFor(view, lang, cell(lang), ctx, c.ini));
    const unchecked = view.versions.filter((v) => v.machine && !v.approved).map((v) => languageName(v.lang, ctx));
    const notes = unchecked.length ? [say('compose:preview.uncheckedDrafts', { languages: unchecked.join(', ') })] : [];
    return [
      say('compose:preview.intro'),
      ...groups,
      ...notes,
      say('compose:preview.whatsapp'),
      ask('compose:preview.ask', undefined, [[choice('bc:next', 'compose:button.looksGood')], [choice('bc:fix', 'compose:button.fix')]]),
    ];
  },
  handle: (c, input) => {
    if (input.kind !== 'button') return null;
    if (input.what === 'next') return go('timing', c);
    if (input.what === 'fix') return go('fix', c);
    if (input.what === 'preview') return go('preview', c);
    return null;
  },
  back: (c) => go('version', { ...c, li: (c.langs?.length ?? 1) - 1 }),
};

const fix: StepDef = {
  prompt: (c, ctx) => [ask('compose:fix.ask', undefined, rows((c.langs ?? ['nl']).map((l) => choice(`bc:edit:${l}`, 'common:plain', { value: languageName(l, ctx) })), 2))],
  handle: (c, input) => {
    if (input.kind !== 'button' || input.what !== 'edit') return null;
    const li = (c.langs ?? ['nl']).indexOf(input.arg ?? '');
    return li < 0 ? null : go('version', { ...c, li, ret: 'preview' });
  },
  back: (c) => go('preview', c),
};

const timing: StepDef = {
  prompt: () => [ask('compose:timing.ask', undefined, [[choice('bc:now', 'compose:button.now')], [choice('bc:later', 'compose:button.later')]])],
  handle: (c, input) => {
    if (input.kind !== 'button' || c.bid === undefined) return null;
    if (input.what === 'now') {
      const { at: _at, ...rest } = bare(c);
      return go('confirm', rest, undefined, [bc({ op: 'timing', broadcastId: c.bid, sendAt: null })]);
    }
    return input.what === 'later' ? go('day', c) : null;
  },
  back: (c) => go('preview', c),
};

const today = (ctx: FlowContext): LocalDay => localDayOf(ctx.now, ctx.timeZone);
const dayIndex = (d: LocalDay): number => Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
const parseDay = (s: string): LocalDay | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
};

/** "24-12", "24/12/2027", "24.12": a day from today on (the year may be left out: the next such day). */
function typedDay(input: string, from: LocalDay): LocalDay | 'invalid' {
  const m = /^(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{2,4}))?$/.exec(input.trim());
  if (!m) return 'invalid';
  const day = Number(m[1]);
  const month = Number(m[2]);
  const y = m[3] ? Number(m[3]) : from.year;
  const year = y < 100 ? 2000 + y : y;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return 'invalid';
  const found = { year, month, day };
  // Without a year, a day already past this year means next year's.
  if (!m[3] && dayIndex(found) < dayIndex(from)) return { ...found, year: year + 1 };
  return found;
}

/** "14:30", "14.30", "14u30", "9": a time of day as "HH:MM". */
function typedTime(input: string): string | null {
  const m = /^(\d{1,2})(?:\s*[:.u]\s*(\d{2}))?$/i.exec(input.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2] ?? '0');
  return h <= 23 && min <= 59 ? `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}` : null;
}

const day: StepDef = {
  prompt: (_c, ctx) => {
    const first = today(ctx);
    const days = Array.from({ length: DAY_BUTTONS }, (_, i) => formatDay(addDays(first, i)));
    return [ask('compose:timing.dayAsk', undefined, rows(days.map((d) => choice(`bc:day:${d}`, 'common:plain', { value: { date: d } })), 2))];
  },
  handle: (c, input, ctx) => {
    const first = today(ctx);
    let picked: LocalDay | null = null;
    if (input.kind === 'button' && input.what === 'day') {
      picked = parseDay(input.arg ?? '');
      if (!picked || dayIndex(picked) < dayIndex(first) || dayIndex(picked) >= dayIndex(first) + DAY_BUTTONS) return null;
    } else if (input.kind === 'text') {
      const typed = typedDay(input.text, first);
      if (typed === 'invalid') return go('day', c, [say('compose:timing.dayNotUnderstood')]);
      picked = typed;
    } else return null;
    if (dayIndex(picked) < dayIndex(first)) return go('day', c, [say('compose:timing.past')]);
    if (dayIndex(picked) > dayIndex(first) + MAX_DAYS_AHEAD) return go('day', c, [say('compose:timing.tooFar', { days: MAX_DAYS_AHEAD })]);
    return go('time', { ...bare(c), day: formatDay(picked) });
  },
  back: (c) => go('timing', bare(c)),
};

const time: StepDef = {
  prompt: (c, ctx) => {
    const d = parseDay(c.day ?? '');
    const open = d ? TIMES.filter((t) => localAt(d, t, ctx.timeZone).getTime() > ctx.now.getTime()) : [];
    return [ask('compose:timing.timeAsk', { day: { date: c.day ?? '' } }, rows(open.map((t) => choice(`bc:time:${t.replace(':', '')}`, 'common:plain', { value: t })), 3))];
  },
  handle: (c, input, ctx) => {
    const d = parseDay(c.day ?? '');
    if (!d || c.bid === undefined) return null;
    let hm: string | null = null;
    if (input.kind === 'button' && input.what === 'time') hm = /^\d{4}$/.test(input.arg ?? '') ? `${input.arg?.slice(0, 2)}:${input.arg?.slice(2)}` : null;
    else if (input.kind === 'text') {
      hm = typedTime(input.text);
      if (!hm) return go('time', c, [say('compose:timing.timeNotUnderstood')]);
    }
    if (!hm || !typedTime(hm)) return null;
    const at = localAt(d, hm, ctx.timeZone);
    if (at.getTime() <= ctx.now.getTime()) return go('time', c, [say('compose:timing.past')]);
    const quiet = hm >= QUIET_FROM || hm < QUIET_UNTIL ? [say('compose:timing.quietNote', { from: QUIET_FROM, to: QUIET_UNTIL })] : [];
    return go('confirm', { ...bare(c), at: at.toISOString() }, quiet, [bc({ op: 'timing', broadcastId: c.bid, sendAt: at })]);
  },
  back: (c) => go('day', bare(c)),
};

/** Whether this author's broadcast waits for a coordinator: the initiative asks it, and the author is not a coordinator there. */
const needsApproval = (c: Compose, ctx: FlowContext): boolean => readsOf(ctx)?.requiresApproval(c.ini) === true && !mayApprove(ctx, c.ini);

const whenText = (c: Compose, ctx: FlowContext): Text | { dateTime: string; timeZone: string } => (c.at ? { dateTime: c.at, timeZone: ctx.timeZone } : text('compose:timing.nowWord'));

const confirm: StepDef = {
  prompt: (c, ctx, pending) => {
    const b = draftOf(c, ctx);
    const versions = versionsNow(b, pending).filter(isSendable);
    const languages = versions.map((v) => text('compose:confirm.version', { language: languageName(v.lang, ctx), what: describeVersion(v) }));
    const total = readsOf(ctx)?.audienceCount(c.ini, c.aud, ctx.now).total ?? 0;
    const summary = lines(text('compose:confirm.summary', { n: countText(total), name: initiativeName(c.ini, ctx), when: whenText(c, ctx) }), ...languages);
    const approval = needsApproval(c, ctx) ? [say('compose:confirm.approvalNote')] : [];
    return [{ text: summary }, ...approval, ask('compose:confirm.ask', undefined, [[choice('bc:send', 'compose:button.send')]])];
  },
  handle: (c, input, ctx) => {
    if (input.kind !== 'button' || input.what !== 'send' || c.bid === undefined) return null;
    if (c.at && new Date(c.at).getTime() <= ctx.now.getTime()) return go('timing', bare(c), [say('compose:timing.passedMeanwhile')]);
    const nl = draftOf(c, ctx)?.versions.find((v) => v.lang === 'nl');
    if (!nl?.text?.trim()) return go('version', { ...c, li: 0 }, [say('compose:version.needDutchText')]);
    const effects: Effect[] = [bc({ op: 'submit', broadcastId: c.bid })];
    if (needsApproval(c, ctx)) return { leave: [say('compose:sent.pending')], effects };
    return { leave: [c.at ? say('compose:sent.later', { when: whenText(c, ctx) }) : say('compose:sent.now')], effects };
  },
  back: (c) => go('timing', c),
};

export const SEND_STEPS: Record<string, StepDef> = { preview, fix, timing, day, time, confirm };
