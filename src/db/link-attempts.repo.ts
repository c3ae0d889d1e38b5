/**
 * Wrong link codes, counted in SQLite so every process and a restart share them (the port and
 * the limits are in src/core/link-attempts.ts). Rows hold no personal data: a channel name,
 * or an HMAC of the chat (channel + chat id) or of the person id under a random key drawn
 * once for this database. Rows older than the window are deleted whenever a miss is counted,
 * so the table never holds more than an hour of misses, and each channel's budget caps that.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { and, count, eq, gt, lte } from 'drizzle-orm';
import { LINK_MISSES, LINK_WINDOW_MS, type LinkAttempter, type LinkAttempts, type LinkRefusal } from '../core/link-attempts.js';
import type { Db } from './client.js';
import { appKeys, linkAttempts } from './schema.js';

const KEY_NAME = 'link-attempts';

/** The database's key for hashing chats, drawn on first use (a second process reads the same one). */
function hashKey(db: Db): Buffer {
  db.insert(appKeys).values({ name: KEY_NAME, key: randomBytes(32).toString('base64') }).onConflictDoNothing().run();
  const row = db.select({ key: appKeys.key }).from(appKeys).where(eq(appKeys.name, KEY_NAME)).get();
  if (!row) throw new Error('app_keys: the link-attempts key could not be stored');
  return Buffer.from(row.key, 'base64');
}

export function createLinkAttemptsRepo(db: Db, windowMs = LINK_WINDOW_MS): LinkAttempts {
  let key: Buffer | null = null;
  const hash = (value: string): string => createHmac('sha256', (key ??= hashKey(db))).update(value).digest('base64url').slice(0, 22);
  const subjects = (who: LinkAttempter): [LinkRefusal, string][] => [
    ['channel', who.channel],
    ...(who.personId === null ? [] : [['person', hash(`person:${who.personId}`)] as [LinkRefusal, string]]),
    ['chat', hash(`chat:${who.channel}:${who.chatId}`)],
  ];
  const misses = (kind: LinkRefusal, subject: string, now: Date): number =>
    db
      .select({ n: count() })
      .from(linkAttempts)
      .where(and(eq(linkAttempts.kind, kind), eq(linkAttempts.subject, subject), gt(linkAttempts.at, new Date(now.getTime() - windowMs))))
      .get()?.n ?? 0;

  return {
    refusal(who, now) {
      for (const [kind, subject] of subjects(who)) if (misses(kind, subject, now) >= LINK_MISSES[kind]) return kind;
      return null;
    },
    miss(who, now) {
      db.transaction((tx) => {
        tx.delete(linkAttempts).where(lte(linkAttempts.at, new Date(now.getTime() - windowMs))).run();
        for (const [kind, subject] of subjects(who)) tx.insert(linkAttempts).values({ kind, subject, at: now }).run();
      });
    },
  };
}
