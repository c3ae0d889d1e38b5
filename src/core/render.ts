/**
 * Turns a flow's replies (i18n keys + params) into mini-HTML text: locale strings may use
 * <b> and <i>; every interpolated value is escaped, so a parent called "<script>" is shown
 * as exactly that and never breaks the messenger's parse mode.
 */
import type { i18n } from 'i18next';
import type { DateParam, OutboundMessage, Reply, Text, TextParam } from './messages.js';

/** First strong isolate … pop directional isolate: keeps Latin names and numbers whole in RTL text. */
const FSI = '\u2068';
const PDI = '\u2069';

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderText(i18n: i18n, lang: string, text: Text): string {
  const target = text.lng ?? lang;
  const t = i18n.getFixedT(target);
  const rtl = i18n.dir(target) === 'rtl';
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(text.params ?? {})) params[name] = renderParam(i18n, target, value, rtl && name !== 'count');
  return t(text.key, params);
}

function renderParam(i18n: i18n, lang: string, value: TextParam, isolate: boolean): string | number {
  const wrap = (s: string) => (isolate ? `${FSI}${s}${PDI}` : s);
  if (typeof value === 'number') return isolate ? wrap(formatNumber(lang, value)) : value;
  if (typeof value === 'string') return wrap(escapeHtml(value));
  if ('key' in value) return renderText(i18n, lang, value);
  return wrap(escapeHtml(formatDate(lang, value)));
}

export function formatDate(lang: string, value: DateParam): string {
  if ('yearMonth' in value) {
    const { year, month } = value.yearMonth;
    return new Intl.DateTimeFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, 15)));
  }
  if ('monthName' in value) return new Intl.DateTimeFormat(lang, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, value.monthName - 1, 15)));
  if ('date' in value) {
    const [y, m, d] = value.date.split('-').map(Number) as [number, number, number];
    return new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d, 12)));
  }
  return new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: value.timeZone }).format(new Date(value.dateTime));
}

const formatNumber = (lang: string, n: number): string => new Intl.NumberFormat(lang).format(n);

export function renderReply(i18n: i18n, lang: string, reply: Reply): OutboundMessage {
  const message: OutboundMessage = { text: renderText(i18n, lang, reply.text), lang, dir: i18n.dir(lang) === 'rtl' ? 'rtl' : 'ltr' };
  if (reply.choices?.length) {
    message.choices = reply.choices.map((row) => row.map((c) => ({ value: c.value, label: renderText(i18n, lang, c.label) })));
  }
  if (reply.attachment) message.attachment = reply.attachment;
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
