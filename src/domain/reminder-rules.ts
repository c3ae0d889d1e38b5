/**
 * Reminder rules are data (config/reminder-rules.json), so a coordinator's wish ("send the
 * toddler-group tip a month earlier") is an edit of a file, not of code. This module only
 * describes and validates that file; src/domain/timeline.ts evaluates it.
 *
 * Trigger kinds:
 * - childAge: the 1st of the month in which the child reaches `months`, until `untilMonths`.
 * - registration: days from the registration deadline (or from the month registration opens).
 * - event: days from an event's start, for parents with a child in the event's age band (optionally
 *   only events of some kinds).
 * - keepWarm: every 6–8 weeks from the placement until the child turns 4.
 * - newsletter: each slot of the initiative's newsletter schedule.
 * - joined: days after the parent joined an initiative.
 * - fixedDate: one local date and time for everyone in the audience.
 * - phase: the initiative moved to a new phase (announced once per initiative and phase); the
 *   message key gets the phase appended (`nurture:phaseChange` → `nurture:phaseChange.p3`).
 *
 * `audience.phases` names the initiative phases a rule applies to (see docs: 0 = stopped, 1 =
 * starting, 2 = registrations, 3–5 = the school mixes). Without it a rule is about the parent's
 * own child and applies in every phase, also without an initiative.
 */
import { z } from 'zod';
import { EVENT_KIND_NAMES } from './model.js';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const deadlineKind = z.enum(['date', 'monthOnly', 'fromAge3']);

const trigger = z.discriminatedUnion('type', [
  z.object({ type: z.literal('childAge'), months: z.number().int().min(-12).max(72), untilMonths: z.number().int().max(84), at: time }),
  z.object({
    type: z.literal('registration'),
    anchor: z.enum(['deadline', 'opens']),
    offsetDays: z.number().int(),
    /** Expires at 00:00 local of anchor + untilOffsetDays ("1" = at the end of the deadline day). */
    untilOffsetDays: z.number().int(),
    at: time,
    deadlineKinds: z.array(deadlineKind).min(1),
  }),
  z.object({
    type: z.literal('event'),
    offsetDays: z.number().int().max(0),
    at: time,
    /** Expires at 00:00 local of start + untilOffsetDays, and never after the event has started. */
    untilOffsetDays: z.number().int().max(1),
    /** Only events of these kinds (absent: every kind). */
    kinds: z.array(z.enum(EVENT_KIND_NAMES)).min(1).optional(),
  }),
  z.object({ type: z.literal('keepWarm'), afterDeadlineDays: z.number().int(), minDays: z.number().int().min(1), maxDays: z.number().int().min(1), untilMonths: z.number().int(), at: time }),
  z.object({ type: z.literal('newsletter'), validDays: z.number().int().min(1) }),
  z.object({ type: z.literal('joined'), offsetDays: z.number().int().min(0), untilOffsetDays: z.number().int().min(1), at: time }),
  z.object({ type: z.literal('fixedDate'), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), at: time, validDays: z.number().int().min(1) }),
  z.object({ type: z.literal('phase'), validDays: z.number().int().min(1), at: time }),
]);

const audience = z
  .object({
    phases: z.array(z.number().int().min(0).max(5)).optional(),
    expected: z.boolean().optional(),
    registered: z.boolean().optional(),
    notPlaced: z.boolean().optional(),
    member: z.boolean().optional(),
    rsvp: z.array(z.enum(['none', 'yes', 'maybe', 'no', 'going', 'waiting'])).optional(),
    hasNewsletterSchedule: z.boolean().optional(),
    newsletterConsent: z.boolean().optional(),
  })
  .strict();

/**
 * `broadcastApproval`: approve / reject under a broadcast waiting for a coordinator (bc:approve:<id>,
 * bc:reject:<id>); `broadcastRejected`: "change it" under a rejection, to its author (bc:redo:<id>).
 * `outreach*`: the outreach ladder's one-tap questions (src/domain/outreach-ladder.ts, answered in
 * src/flows/outreach.flow.ts). Not for rules.
 */
export const BUTTON_SETS = [
  'registration',
  'rsvp',
  'born',
  'keepInTouch',
  'placement',
  'newsletter',
  'retention',
  'broadcastApproval',
  'broadcastRejected',
  'outreachPlay',
  'outreachVisit',
  'outreachRegister',
  'outreachStart',
  'outreachGeneral',
  'outreachCall',
] as const;

const rule = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{2,40}$/),
    trigger,
    audience: audience.default({}),
    /** Consent kind that must be on (besides the master switch /stop). */
    consent: z.enum(['reminders', 'newsletter']),
    /** One key, or one per registration kind. */
    message: z.union([z.string(), z.partialRecord(deadlineKind, z.string())]),
    priority: z.number().int().min(0).max(9),
    buttons: z.enum(BUTTON_SETS).nullable().default(null),
    /** May break the frequency cap within 48 h of the deadline (never the quiet hours). */
    urgent: z.boolean().default(false),
    /**
     * Bound to a moment (an event, a deadline, a phase change): the cap keeps room for it, and a
     * keep-warm or a newsletter never pushes it out. Default: event, registration and phase triggers.
     */
    timeBound: z.boolean().optional(),
  })
  .strict();

export const reminderRulesFile = z
  .object({ version: z.literal(1), rules: z.array(rule).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, r] of file.rules.entries()) {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    }
  });

export type ReminderRule = z.infer<typeof rule>;
export type RuleTrigger = ReminderRule['trigger'];
export type RuleAudience = ReminderRule['audience'];
export type ButtonSet = (typeof BUTTON_SETS)[number];
export type ReminderRulesFile = z.infer<typeof reminderRulesFile>;

/** Validates a parsed rules file; the error lists every problem with its path. */
export function parseReminderRules(data: unknown): ReminderRule[] {
  const parsed = reminderRulesFile.safeParse(data);
  if (!parsed.success) {
    throw new Error(`Invalid reminder rules:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return parsed.data.rules;
}

/** Whether a rule's messages are bound to a moment (see `timeBound`). */
export const isTimeBound = (r: ReminderRule): boolean => r.timeBound ?? ['event', 'registration', 'phase'].includes(r.trigger.type);

/** The message key for a rule, picking the variant for the registration kind when there are several. */
export function messageKeyOf(r: ReminderRule, deadlineKind?: 'date' | 'monthOnly' | 'fromAge3'): string | null {
  if (typeof r.message === 'string') return r.message;
  return deadlineKind ? (r.message[deadlineKind] ?? null) : null;
}
