/**
 * What one parent reads of a broadcast (pure). The chat flow uses it for previews, the delivery
 * renderer at send time (src/domain/delivery-message.ts), so a preview is exactly what a language
 * group will see. The version in the reader's language when there is a sendable one; otherwise
 * the Dutch version (English when the parent chose English as a second language and there is an
 * English version) plus one line in the reader's own language with a "Help" button (`rl:bc:<id>`,
 * handled by the relay) so an ambassador can explain.
 */
import type { Reply, Text } from '../core/messages.js';
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
