/** /mydata: everything stored about the person, readable in the chat and as a JSON file. */
import type { i18n } from 'i18next';
import type { OutboundMessage, Text } from './messages.js';
import type { PersonExport } from './ports.js';
import { renderText, RLM } from './render.js';

const CONSENT_KIND_KEYS: Record<string, string> = {
  data: 'privacy:mydata.kindData',
  proactive: 'privacy:mydata.kindProactive',
  reminders: 'privacy:mydata.kindReminders',
  newsletter: 'privacy:mydata.kindNewsletter',
};

const t = (key: string, params?: Text['params']): Text => (params ? { key, params } : { key });
/** A rendered piece used inside another sentence loses its leading right-to-left mark (the sentence has its own). */
const withoutMark = (s: string): string => (s.startsWith(RLM) ? s.slice(1) : s);

export function renderMyData(i18n: i18n, lang: string, data: PersonExport): OutboundMessage[] {
  const r = (text: Text) => renderText(i18n, lang, text);
  const none = r(t('privacy:mydata.none'));
  const children = data.children.length
    ? data.children
        .map((c) => `• ${r(t(c.expected ? 'children:dueIn' : 'children:bornIn', { when: t('common:plain', { value: { yearMonth: { year: c.year, month: c.month } } }) }))}`)
        .join('\n')
    : none;
  const memberships = data.memberships.length
    ? data.memberships.map((m) => `• ${r(t('privacy:mydata.membership', { name: m.initiative, school: m.school, role: t(`common:roles.${m.role}`) }))}`).join('\n')
    : none;
  const interestKey = (action: string) => (action === 'registration-help' ? 'nurture:helpInterest' : `phases:actions.${action}.title`);
  const interests = data.interests.length ? data.interests.map((i) => `• ${r(t(interestKey(i.action)))}`).join('\n') : none;
  const consents = data.consents
    .map((c) => `• ${r(t('privacy:mydata.consentLine', { kind: t(CONSENT_KIND_KEYS[c.kind] ?? 'privacy:mydata.kindProactive'), answer: t(c.given ? 'privacy:mydata.yes' : 'privacy:mydata.no'), date: { day: c.at } }))}`)
    .join('\n');
  const summary = r(
    t('privacy:mydata.summary', {
      id: String(data.person.id),
      name: data.person.displayName ?? '–',
      language: t('meta:endonym', undefined),
      postcode: data.person.postcode ?? '–',
      heardFrom: data.person.heardFrom ? t(`onboarding:heardFrom.${data.person.heardFrom}`) : '–',
      messages: t(data.person.proactiveMessages ? 'privacy:mydata.on' : 'privacy:mydata.off'),
      // Each messenger by its name in the reader's language ("Telegram", "the chat on the website"), never the code.
      channels: data.channels.map((c) => withoutMark(r(t(`link:app.${c.channel}`)))).join(', '),
      since: { day: data.person.createdAt },
    }),
  );
  // A second language (a broadcast not in theirs comes in English) is a setting they chose: shown too.
  const second = data.person.fallbackLanguage ? [r(t('privacy:mydata.secondLanguage', { language: { key: 'meta:endonym', lng: data.person.fallbackLanguage } }))] : [];
  // The parts are already rendered mini-HTML, so they are joined as text, not re-escaped.
  const text = [summary, ...second, `<b>${r(t('privacy:mydata.children'))}</b>\n${children}`, `<b>${r(t('privacy:mydata.initiatives'))}</b>\n${memberships}`, `<b>${r(t('privacy:mydata.interests'))}</b>\n${interests}`, `<b>${r(t('privacy:mydata.consents'))}</b>\n${consents || none}`, r(t('privacy:mydata.messagesStored', { count: String(data.messagesStored) })), ...questionsPart(r, data), ...filesPart(r, data), ...participationPart(r, data), r(t('privacy:mydata.fileNote'))].join('\n\n');
  return [
    { text },
    {
      text: r(t('privacy:mydata.file')),
      attachment: { filename: `ouderbrug-mijn-gegevens-${data.person.id}.json`, mimeType: 'application/json', content: JSON.stringify(data, null, 2) },
    },
  ];
}

/** The parent's questions to staff (numbers and dates; the texts are in the JSON file). Nothing when there are none. */
function questionsPart(r: (text: Text) => string, data: PersonExport): string[] {
  const qs = data.questions ?? [];
  const lines = qs.map((q) => `• ${r(t(q.status === 'closed' ? 'relay:mydata.closed' : 'relay:mydata.open', { n: String(q.id), date: { day: q.createdAt }, messages: String(q.messages.length) }))}`);
  if (data.contactDeclinedAt) lines.push(`• ${r(t('relay:mydata.declined', { date: { day: data.contactDeclinedAt } }))}`);
  return lines.length ? [`<b>${r(t('relay:mydata.title'))}</b>\n${lines.join('\n')}`] : [];
}

/** Voice notes, photos and files the person sent that we keep: the kind and the day, never the content. Nothing when there are none. */
function filesPart(r: (text: Text) => string, data: PersonExport): string[] {
  const lines = (data.files ?? []).map((f) => `• ${r(t('media:mydata.line', { type: t(`media:mydata.${f.type}`), date: { day: f.at } }))}`);
  return lines.length ? [`<b>${r(t('media:mydata.files'))}</b>\n${lines.join('\n')}`] : [];
}

/** The days the parent did something in the chat (participation, ADR 0010): how many and the last; nothing when none. */
function participationPart(r: (text: Text) => string, data: PersonExport): string[] {
  const p = data.participation;
  if (!p || !p.lastActionAt || p.activeDays.length === 0) return [];
  return [r(t('participation:mydata.line', { count: String(p.activeDays.length), date: { day: p.lastActionAt } }))];
}
