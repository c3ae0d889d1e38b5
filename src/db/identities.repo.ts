/**
 * Channel identities (a chat on one messenger): the time of the person's last message, which
 * WhatsApp's 24-hour customer-service window is counted from. A chat without an identity
 * (before consent) has nothing stored: the channel keeps that time in memory.
 */
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Address } from '../core/messages.js';
import type { Db } from './client.js';
import { identities } from './schema.js';

/** Records an inbound message's time; never moves backwards (redelivered old messages). */
export function touchInbound(db: Db, address: Address, at: Date): boolean {
  const res = db
    .update(identities)
    .set({ lastInboundAt: at })
    .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId), or(isNull(identities.lastInboundAt), lt(identities.lastInboundAt, at))))
    .run();
  return res.changes > 0;
}

export function lastInboundAt(db: Db, address: Address): Date | null {
  const row = db
    .select({ at: identities.lastInboundAt })
    .from(identities)
    .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId)))
    .get();
  return row?.at ?? null;
}

/** The chat blocked the bot or cannot be reached: proactive messages stop until the parent writes again. */
export function markUnreachable(db: Db, address: Address, at: Date): void {
  db.update(identities)
    .set({ unreachableAt: at })
    .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId)))
    .run();
}
