/**
 * Turns a flow's replies (i18n keys + params) into mini-HTML text: locale strings may use
 * <b> and <i>; every interpolated value is escaped, so a parent called "<script>" is shown
 * as exactly that and never breaks the messenger's parse mode.
 */
import { dateFormat, numberFormat } from './intl-cache.js';
import type { i18n } from 'i18next';
import { isLinkUrl, type Choice, type DateParam, type OutboundChoice, type OutboundMessage, type Reply, type Text, type TextParam } from './messages.js';

/** First strong isolate … pop directional isolate: keeps Latin names and numbers whole in RTL text. */
const FSI = '\u2068';
const PDI = '\u2069';
/**
 * Right-to-left mark: every text in a right-to-left language starts with it, so a messenger that
 * lays out by the first strong character (Telegram, WhatsApp) shows "Ouderbrug …" right to left too.
 */
export const RLM = '\u200F';

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * i18next's `dir` builds its list of right-to-left languages on every call: asked several times
 * per message (issue 13, pipeline cost), so kept per instance and language (ten languages).
 */
const rtlOf = new WeakMap<i18n, Map<string, boolean>>();
export function isRtl(i18n: i18n, lang: string): boolean {
  let k = rtlOf.get(i18n);
  if (!k) rtlOf.set(i18n, (k = new Map()));
  let rtl = k.get(lang);
  if (rtl === undefined) k.set(lang, (rtl = i18n.dir(lang) === 'rtl'));
  return rtl;
}

/** A text as the reader sees it; in a right-to-left language it starts with the right-to-left mark. */
export function renderText(i18n: i18n, lang: string, text: Text): string {
  const target = text.lng ?? lang;
  const out = renderInner(i18n, lang, text);
  return isRtl(i18n, target) && !out.startsWith(RLM) ? `${RLM}${out}` : out;
}

function renderInner(i18n: i18n, lang: string, text: Text): string {
  const target = text.lng ?? lang;
  const rtl = isRtl(i18n, target);
  const params: Record<string, string | number> = {};
  const endsWithStop: string[] = [];
  for (const [name, value] of Object.entries(text.params ?? {})) {
    const rendered = renderParam(i18n, target, value, rtl && name !== 'count');
    params[name] = rendered;
    if (typeof rendered === 'string' && /\.\u2069?$/.test(rendered)) endsWithStop.push(rendered);
  }
  // i18n.t with the language, not getFixedT: a fixed t copies all of i18next's options on every call.
  let out = i18n.t(text.key, { ...params, lng: target });
  // "березень 2027 р." at the end of a sentence: one full stop, not two.
  for (const value of endsWithStop) out = out.split(`${value}.`).join(value);
  return out;
}

function renderParam(i18n: i18n, lang: string, value: TextParam, isolate: boolean): string | number {
  const wrap = (s: string) => (isolate ? `${FSI}${s}${PDI}` : s);
  if (typeof value === 'number') return isolate ? wrap(formatNumber(lang, value)) : value;
  if (typeof value === 'string') return wrap(escapeHtml(value));
  if ('key' in value) {
    const inner = renderInner(i18n, lang, value);
    // A language's name inside a sentence ("Language: العربية") is isolated in every language.
    return value.key === 'meta:endonym' ? `${FSI}${inner}${PDI}` : inner;
  }
  return wrap(escapeHtml(formatDate(lang, value)));
}

/**
 * Languages whose own habit is the 12-hour clock with a day period (Arabic ص/م, Somali GH/GD,
 * Tigrinya ቅ.ቀ./ድ.ቀ.). Every other language gets the 24-hour clock. English included: our English
 * readers live in the Netherlands, where schools, clinics and public transport all write "09:00"
 * and "14:30"; "09:00 AM" would be the only 12-hour time they meet (en-GB writes 24-hour too).
 */
const TWELVE_HOUR = new Set(['ar', 'so', 'ti']);
const hourCycle = (lang: string): 'h12' | 'h23' => (TWELVE_HOUR.has(lang.split('-')[0] ?? lang) ? 'h12' : 'h23');

export function formatDate(lang: string, value: DateParam): string {
  if ('yearMonth' in value) {
    const { year, month } = value.yearMonth;
    return dateFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, 15)));
  }
  if ('monthName' in value) return dateFormat(lang, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, value.monthName - 1, 15)));
  if ('date' in value || 'day' in value) {
    const iso = 'date' in value ? value.date : value.day;
    const [y, m, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
    const weekday = 'date' in value ? ({ weekday: 'long' } as const) : {};
    return dateFormat(lang, { ...weekday, day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d, 12)));
  }
  return dateFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: hourCycle(lang), timeZone: value.timeZone }).format(
    new Date(value.dateTime),
  );
}

/** Numbers in the reader's digits; groups only from 10,000 on, so a year is never "2,024". */
const formatNumber = (lang: string, n: number): string => numberFormat(lang, { useGrouping: 'min2' } as Intl.NumberFormatOptions).format(n);

export function renderReply(i18n: i18n, lang: string, reply: Reply): OutboundMessage {
  const message: OutboundMessage = { text: renderText(i18n, lang, reply.text), lang, dir: isRtl(i18n, lang) ? 'rtl' : 'ltr' };
  if (reply.choices?.length) {
    // A link whose address is not https is left out: a broken button is worse than none.
    const usable = (c: Choice): boolean => c.url === undefined || isLinkUrl(c.url);
    const rows = reply.choices
      .filter((row) => row.length === 0 || row.some(usable))
      .map((row) => row.filter(usable).map((c): OutboundChoice => ({ value: c.value, label: renderText(i18n, lang, c.label), ...(c.url === undefined ? {} : { url: c.url }) })));
    if (rows.length) message.choices = rows;
  }
  if (reply.attachment) message.attachment = reply.attachment;
  if (reply.secret) message.secret = true;
  if (reply.media) message.media = reply.media;
  return message;
}

/** Mini-HTML → plain text (for channels without markup and for length checks). */
export function miniHtmlToPlain(html: string): string {
  return html
    .replace(/<\/?(b|i)>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
