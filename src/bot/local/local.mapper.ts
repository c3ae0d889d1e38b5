/**
 * The local web chat's POST body → an InboundMessage. Pure: no I/O, so the HTTP layer stays a
 * thin shell and every odd body is tested here. Anything we cannot read is `null` (→ 400).
 */
import { z } from 'zod';
import type { InboundContent, InboundMessage } from '../../core/messages.js';

/** Longer texts are cut rather than refused: a parent pasting a long story still gets an answer. */
export const MAX_TEXT_LENGTH = 10_000;

/**
 * The shape of a chat id (the server issues base64url ids; see LocalChannel.issue). The pattern
 * only keeps the id safe as a map key and in URLs: whether the id is one the server issued is
 * the HTTP layer's check.
 */
export const CHAT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const bodySchema = z.object({
  chatId: z.string().regex(CHAT_ID_PATTERN),
  text: z.string().optional(),
  // Choice values are short ASCII (≤ 56 bytes on Telegram); a little slack, no more.
  choice: z.string().min(1).max(256).optional(),
  // Only a hint: a malformed one is dropped instead of refusing the whole message.
  languageHint: z
    .string()
    .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$/)
    .optional()
    .catch(undefined),
});

export function toInbound(body: unknown): InboundMessage | null {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return null;
  const { chatId, text, choice, languageHint } = parsed.data;
  // Exactly one of text or choice: the page never sends both, so both means a broken client.
  if (text !== undefined && choice !== undefined) return null;

  let content: InboundContent | null = null;
  if (choice !== undefined) content = { kind: 'choice', value: choice };
  else if (text !== undefined) content = textContent(text);
  if (!content) return null;

  const message: InboundMessage = { address: { channel: 'local', chatId }, content };
  if (languageHint) message.languageHint = languageHint;
  return message;
}

function textContent(raw: string): InboundContent | null {
  const text = cut(raw.trim(), MAX_TEXT_LENGTH);
  if (text === '') return null;
  const command = /^\/([^\s/]+)\s*([\s\S]*)$/.exec(text);
  if (command) return { kind: 'command', command: (command[1] ?? '').toLowerCase(), args: (command[2] ?? '').trim() };
  return { kind: 'text', text };
}

/** Cuts to `max` UTF-16 units without leaving half of a surrogate pair (an emoji) behind. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}
