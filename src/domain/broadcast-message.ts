/**
 * What one parent reads of a broadcast (pure). The chat flow uses it for previews, the delivery
 * renderer at send time (src/domain/delivery-message.ts), so a preview is exactly what a language
 * group will see. The version in the reader's language when there is a sendable one; otherwise
 * the Dutch version (English when the parent chose English as a second language and there is an
 * English version) plus one line in the reader's own language with a "Help" button (`rl:bc:<id>`,
 * handled by the relay) so an ambassador can explain.
 */
import type { Choice, Reply, Text, TextParam } from '../core/messages.js';
import type { BroadcastVersionView, BroadcastView } from './broadcast.types.js';

/** The button under a fallback message: the relay (issue 11, item 5) opens a question about broadcast <id>. */
export const broadcastHelpValue = (broadcastId: number): string => `rl:bc:${broadcastId}`;

/** A version may be sent: it says something, and it is not a machine draft its author has not approved. */
export const isSendable = (v: BroadcastVersionView): boolean => v.approved && (Boolean(v.text?.trim()) || v.media !== null);

/** The version a reader gets: their own language, else the fallback (null: nothing sendable at all). */
export function pickVersion(versions: readonly BroadcastVersionView[], readerLang: string, fallback: 'en' | null): BroadcastVersionView | null {
  const sendable = versions.filter(isSendable);
  const of = (lang: string) => sendable.find((v) => v.lang === lang) ?? null;
  return of(readerLang) ?? (fallback === 'en' ? of('en') : null) ?? of('nl') ?? of('en') ?? sendable[0] ?? null;
}

/** The text of a version: its own words, or for a voice note (photo, flyer) without words a short line in the reader's language. */
function versionText(v: BroadcastVersionView | null, initiative: { name: string } | null): Text {
  if (v?.text?.trim()) return { key: 'broadcast:body', params: { text: v.text.trim() }, lng: v.lang };
  const kind = v?.media?.type === 'voice' ? 'voice' : 'media';
  return initiative ? { key: `broadcast:only.${kind}`, params: { name: initiative.name } } : { key: `broadcast:only.${kind}NoName` };
}

export function broadcastReply(b: Pick<BroadcastView, 'id' | 'versions'>, readerLang: string, fallback: 'en' | null, initiative: { name: string } | null): Reply {
  const version = pickVersion(b.versions, readerLang, fallback);
  const body = versionText(version, initiative);
  const own = version?.lang === readerLang;
  const reply: Reply = own
    ? { text: body }
    : {
        text: { key: 'broadcast:withNote', params: { body, note: { key: 'broadcast:fallbackNote' } } },
        choices: [[{ value: broadcastHelpValue(b.id), label: { key: 'broadcast:button.help' } }]],
      };
  if (version?.media) reply.media = { mediaId: version.media.mediaId, type: version.media.type };
  return reply;
}

/** Approve / reject under a broadcast waiting for a coordinator (handled by the broadcast flow). */
export const approvalChoices = (broadcastId: number): Choice[][] => [
  [
    { value: `bc:approve:${broadcastId}`, label: { key: 'broadcast:button.approve' } },
    { value: `bc:reject:${broadcastId}`, label: { key: 'broadcast:button.reject' } },
  ],
];

/**
 * A delivery row of a broadcast, rendered at send time (src/domain/delivery-message.ts): a
 * parent's copy (`broadcast:body`) in their language of that moment, or the approval request to a
 * coordinator with the Dutch version as preview, the languages written and the two buttons.
 * Null for other keys (e.g. "your broadcast was approved"): the usual rendering applies.
 */
/** "a, b, c" as one text, each item rendered in its own way (an endonym in its own language). */
const languageList = (items: Text[]): TextParam => {
  const [first, ...rest] = items;
  if (!first) return '';
  return rest.length ? { key: 'broadcast:approval.list', params: { first, rest: languageList(rest) } } : first;
};

export function broadcastDeliveryReply(
  payload: { key: string; broadcastId?: number },
  b: Pick<BroadcastView, 'id' | 'versions'> & { initiativeName: string },
  reader: { language: string; fallback: 'en' | null },
): Reply | null {
  const initiative = b.initiativeName ? { name: b.initiativeName } : null;
  if (payload.key === 'broadcast:body') return broadcastReply(b, reader.language, reader.fallback, initiative);
  if (payload.key === 'broadcast:approval.request') {
    const preview = broadcastReply(b, 'nl', null, initiative);
    // Each language by its own name ("Türkçe, العربية"), as in the language menu.
    const languages = languageList(b.versions.filter(isSendable).map((v): Text => ({ key: 'meta:endonym', lng: v.lang })));
    const reply: Reply = {
      text: { key: payload.key, params: { name: b.initiativeName, languages, preview: preview.text } },
      choices: approvalChoices(b.id),
    };
    if (preview.media) reply.media = preview.media;
    return reply;
  }
  return null;
}

/**
 * Why a broadcast's delivery row must not go out any more (null: send it): its broadcast was
 * cancelled or erased, or an approval request whose broadcast is no longer waiting. The last_error
 * is 'cancelled' so the summary counts it with the rows cancelled in one go.
 */
export function broadcastSkipReason(payloadKey: string, b: { status: string } | null | undefined): string | null {
  if (!b || b.status === 'cancelled') return 'cancelled';
  if (payloadKey === 'broadcast:approval.request' && b.status !== 'pending') return 'no longer waiting for approval';
  return null;
}
