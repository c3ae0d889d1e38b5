/**
 * Structured JSON-line logs (pino). Callers log ids only; as a second line of defence the
 * usual personal fields are redacted if they ever slip into a log object.
 */
import { pino } from 'pino';
import type { Logger } from './core/ports.js';

const REDACT = ['text', 'name', 'displayName', 'chatId', 'chat_id', 'phone', 'postcode', 'pc4', 'birth', 'username', 'first_name', 'last_name'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger & { level: string } {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: [...REDACT, ...REDACT.map((k) => `*.${k}`)], censor: '[redacted]' },
    },
    destination as pino.DestinationStream | undefined,
  );
}
