/**
 * Reads the reminder rules file and turns the configuration into the planner's policy, for
 * the bot and for the CLI alike (so `plan --dry-run` plans exactly what the bot would).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { parseReminderRules, type ReminderRule } from '../domain/reminder-rules.js';
import type { SendPolicy } from '../domain/send-window.js';

export const DEFAULT_RULES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/reminder-rules.json');

/** Rows are written a day ahead (so `schedule` shows them), and enqueued only when nearly due. */
export const PLAN_HORIZON_MS = 24 * 3600_000;

export function loadReminderRules(path: string = DEFAULT_RULES_PATH): ReminderRule[] {
  return parseReminderRules(JSON.parse(readFileSync(path, 'utf8')));
}

export function sendPolicyOf(config: Config): SendPolicy {
  return { quiet: config.nurture.quietHours, cap: { max: config.nurture.cap.max, windowMs: config.nurture.cap.days * 86_400_000 } };
}
