/**
 * Turns a flow's replies (i18n keys + params) into mini-HTML text: locale strings may use
 * <b> and <i>; every interpolated value is escaped, so a parent called "<script>" is shown
 * as exactly that and never breaks the messenger's parse mode.
 */
import type { i18n } from 'i18next';
import type { OutboundMessage, Reply, Text, TextParam } from './messages.js';

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderText(i18n: i18n, lang: string, text: Text): string {
  const t = i18n.getFixedT(text.lng ?? lang);
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(text.params ?? {})) params[name] = renderParam(i18n, lang, value);
  return t(text.key, params);
}

function renderParam(i18n: i18n, lang: string, value: TextParam): string | number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return escapeHtml(value);
  return renderText(i18n, lang, value);
}

export function renderReply(i18n: i18n, lang: string, reply: Reply): OutboundMessage {
  const message: OutboundMessage = { text: renderText(i18n, lang, reply.text) };
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
