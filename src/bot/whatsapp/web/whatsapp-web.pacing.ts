/**
 * How whatsapp-web.js sends stay slow enough not to look like a bulk sender (the ban risk,
 * LIBRARIES.md §2): a random pause in [minDelayMs, maxDelayMs] between any two sends, and a
 * cap on messages per calendar day (in the bot's time zone). Time goes through the injected
 * clock, so tests never wait. Also: which send errors mean "this number cannot be reached".
 */
import { DateTime } from 'luxon';
import type { Clock } from '../../../core/clock.js';
import type { SendOutcome } from '../../../core/errors.js';

export interface PacingOptions {
  clock: Clock;
  minDelayMs: number;
  maxDelayMs: number;
  dailyCap: number;
  timeZone: string;
  /** [0, 1); tests pin it. */
  random?: () => number;
}

export interface Pacer {
  /** Waits until the random gap since the previous send has passed. Resolves with the pause taken. */
  pause(): Promise<number>;
  /** Counts one message sent now. */
  sent(): void;
  /** True when today's cap is used up. */
  capReached(): boolean;
  sentToday(): number;
  /** Milliseconds until the next calendar day starts (when the cap resets). */
  untilMidnightMs(): number;
}

export function createPacer(options: PacingOptions): Pacer {
  const { clock, dailyCap, timeZone } = options;
  const random = options.random ?? Math.random;
  const min = Math.max(0, options.minDelayMs);
  const max = Math.max(min, options.maxDelayMs);
  let lastSendAt: number | null = null;
  let day = '';
  let count = 0;

  const today = (): string => DateTime.fromJSDate(clock.now(), { zone: timeZone }).toISODate() ?? '';
  const roll = (): void => {
    const d = today();
    if (d !== day) {
      day = d;
      count = 0;
    }
  };

  return {
    async pause() {
      if (lastSendAt === null) return 0;
      const gap = min + Math.floor(random() * (max - min + 1));
      const wait = gap - Math.max(0, clock.now().getTime() - lastSendAt);
      if (wait <= 0) return 0;
      await clock.sleep(wait);
      return wait;
    },
    sent() {
      roll();
      count++;
      lastSendAt = clock.now().getTime();
    },
    capReached() {
      roll();
      return count >= dailyCap;
    },
    sentToday() {
      roll();
      return count;
    },
    untilMidnightMs() {
      const now = DateTime.fromJSDate(clock.now(), { zone: timeZone });
      return Math.max(1000, now.plus({ days: 1 }).startOf('day').toMillis() - now.toMillis());
    },
  };
}

/**
 * whatsapp-web.js reports a number that is not on WhatsApp as an evaluation error ("wid error:
 * invalid wid", "No LID for user", …). Those cannot be helped by trying again; everything else
 * (page crashed, connection lost, timeouts) can.
 */
const UNREACHABLE = /invalid wid|wid error|not registered|no lid for user|not a whatsapp user|is not on whatsapp/i;

export function classifySendError(err: unknown): Exclude<SendOutcome, { status: 'sent' }> {
  const message = err instanceof Error ? err.message : String(err);
  // Only the error's first line: evaluation errors can quote the chat id further on.
  const reason = (message.split('\n')[0] ?? '').replace(/\d{6,}/g, '…').slice(0, 120);
  if (UNREACHABLE.test(message)) return { status: 'unreachable', reason: `not on WhatsApp: ${reason}` };
  return { status: 'retry', reason: `whatsapp-web.js: ${reason}` };
}
