/**
 * The SQLite schema (drizzle sqlite-core). Privacy is structural: a child is a birth
 * year and month, a postcode is 4 digits, and nothing records ethnicity, nationality or
 * migration background. Every row about a person hangs off `people` with ON DELETE
 * CASCADE, so erasing the person erases everything. Times are UTC (epoch milliseconds).
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { CHANNELS, PLACEMENT_ANSWERS, ROLES, RSVP_ANSWERS, RSVP_STATUSES } from '../domain/model.js';
import type { MediaUploads } from '../core/media.js';
import { CALLBACK_OUTCOMES, RELAY_CLOSERS, RELAY_KINDS, RELAY_SOURCES, RELAY_STATUSES } from '../domain/relay.types.js';

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const people = sqliteTable('people', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  language: text('language').notNull(),
  displayName: text('display_name'),
  pc4: text('pc4'),
  heardFrom: text('heard_from'),
  proactive: integer('proactive', { mode: 'boolean' }).notNull().default(true),
  /** Consent per kind of message (DOMAIN.md): reminders are on with the first consent, the newsletter is opt-in. */
  reminders: integer('reminders', { mode: 'boolean' }).notNull().default(true),
  newsletter: integer('newsletter', { mode: 'boolean' }).notNull().default(false),
  /** The parent's own quiet hours ("HH:MM" local); null means the default window. */
  quietStart: text('quiet_start'),
  quietEnd: text('quiet_end'),
  /** The channel the parent chose for proactive messages (null: the best reachable one). */
  preferredChannel: text('preferred_channel', { enum: CHANNELS }),
  /**
   * What to read when a broadcast has no version in the parent's language: 'en' (the parent
   * chose English as a second language) or null (Dutch, the default). Issue 11.
   */
  fallbackLanguage: text('fallback_language', { enum: ['en'] }),
  /**
   * The parent told an ambassador on a call-back that they do not want contact (issue 11, item 5).
   * Final: the outreach ladder (issue 12) reads it and never approaches this parent personally again.
   */
  contactDeclinedAt: integer('contact_declined_at', { mode: 'timestamp_ms' }),
  /**
   * Participation (issue 12, ADR 0010): the parent's latest own action (a message or button, an
   * event attended, a call-back that reached them) and the latest read receipt of one of our
   * messages (WhatsApp Cloud only). Kept on the row so the planner reads them without a join.
   */
  lastActionAt: integer('last_action_at', { mode: 'timestamp_ms' }),
  lastReadAt: integer('last_read_at', { mode: 'timestamp_ms' }),
  /**
   * Incremental planning (issue 13, ADR 0012): when the planner must look at this parent again
   * (epoch ms): the earliest moment a reminder of theirs enters the planning horizon, or a periodic
   * re-check. Null: only a mark (plan_marks) or the next full rebuild makes the planner look.
   */
  nextPlanAt: integer('next_plan_at'),
  createdAt: createdAt(),
}, (t) => [index('people_next_plan_at').on(t.nextPlanAt)]);

/**
 * Parents whose timeline changed since the planner last looked (issue 13, ADR 0012): written by
 * triggers on the tables that hold the facts (drizzle/0013_incremental-planning.sql,
 * src/db/plan-marks.repo.ts) and by the repos of facts SQL cannot resolve (a municipality's
 * dates). The planner's tick takes them all at once (DELETE … RETURNING). `at`: when marked.
 */
export const planMarks = sqliteTable('plan_marks', {
  personId: integer('person_id')
    .primaryKey()
    .references(() => people.id, { onDelete: 'cascade' }),
  at: integer('at').notNull(),
});

/**
 * The days on which a parent wrote or tapped anything (participation over time, issue 12): one
 * row per person and UTC day number, nothing about what was said. Kept 13 months (retention).
 */
export const activityDays = sqliteTable(
  'activity_days',
  {
    personId: integer('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    /** Days since 1970-01-01 (UTC). */
    day: integer('day').notNull(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.day] }), index('activity_days_day').on(t.day)],
);

export const identities = sqliteTable(
  'identities',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    chatId: text('chat_id').notNull(),
    unreachableAt: integer('unreachable_at', { mode: 'timestamp_ms' }),
    /** The person's last message on this chat (WhatsApp's 24-hour customer-service window). */
    lastInboundAt: integer('last_inbound_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('identities_channel_chat').on(t.channel, t.chatId), index('identities_person').on(t.personId)],
);

export const children = sqliteTable(
  'children',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    birthYear: integer('birth_year').notNull(),
    birthMonth: integer('birth_month').notNull(),
    expected: integer('expected', { mode: 'boolean' }).notNull().default(false),
    /** The parent answered "registered" for this child (stops deadline reminders). */
    registeredAt: integer('registered_at', { mode: 'timestamp_ms' }),
    /** The parent's answer to the placement check. */
    placement: text('placement', { enum: PLACEMENT_ANSWERS }),
    createdAt: createdAt(),
  },
  (t) => [index('children_person').on(t.personId)],
);

export const initiatives = sqliteTable('initiatives', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  school: text('school').notNull(),
  neighbourhood: text('neighbourhood').notNull().default(''),
  contact: text('contact').notNull().default(''),
  municipality: text('municipality').notNull(),
  phase: integer('phase').notNull().default(1),
  /** Reminder times are local to the initiative (quiet hours, "10:00"). */
  timeZone: text('time_zone').notNull().default('Europe/Amsterdam'),
  /** Archived: not offered to new parents, no reminders; kept for its history. */
  archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
  createdAt: createdAt(),
});

export const initiativePostcodes = sqliteTable(
  'initiative_postcodes',
  {
    initiativeId: integer('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    pc4: text('pc4').notNull(),
  },
  (t) => [primaryKey({ columns: [t.initiativeId, t.pc4] }), index('initiative_postcodes_pc4').on(t.pc4)],
);

export const memberships = sqliteTable(
  'memberships',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    initiativeId: integer('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    /** Ambassadors: the shipped language codes they speak (["nl","tr"]); null: not said yet. */
    languages: text('languages', { mode: 'json' }).$type<string[]>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('memberships_unique').on(t.personId, t.initiativeId, t.role), index('memberships_initiative').on(t.initiativeId)],
);

/** One row per conversation of a consented person; before consent state lives in memory only. */
export const conversations = sqliteTable('conversations', {
  identityId: integer('identity_id').primaryKey().references(() => identities.id, { onDelete: 'cascade' }),
  personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
  state: text('state', { mode: 'json' }).notNull(),
  turn: integer('turn').notNull().default(0),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const consentLog = sqliteTable(
  'consent_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['data', 'proactive', 'reminders', 'newsletter'] }).notNull(),
    given: integer('given', { mode: 'boolean' }).notNull(),
    version: text('version').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('consent_person').on(t.personId)],
);

/** "I want to help with this": ambassadors follow up on these. */
export const interests = sqliteTable(
  'interests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    initiativeId: integer('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    actionKey: text('action_key').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('interests_unique').on(t.personId, t.initiativeId, t.actionKey)],
);

/**
 * Rendered replies, committed with the turn and sent after commit by the channel's outbound
 * scheduler (src/core/outbound). A reply before consent has no person: it holds only the chat
 * address, lives for seconds and is deleted once delivered or given up (ADR 0005).
 * `leaseUntil`/`owner` let a second process (or a restarted one) take over replies whose
 * owner died, without two processes sending the same row.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').references(() => people.id, { onDelete: 'cascade' }),
    identityId: integer('identity_id').references(() => identities.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    chatId: text('chat_id').notNull(),
    message: text('message', { mode: 'json' }).notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed', 'expired', 'unreachable'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    partsSent: integer('parts_sent').notNull().default(0),
    lastError: text('last_error'),
    owner: text('owner'),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('outbox_status').on(t.status), index('outbox_person').on(t.personId)],
);

/**
 * Token buckets shared by every process that sends on a channel (ADR 0005): one row per
 * budget key ("telegram:all", "telegram:chat:<hash>"). No personal data: chat keys are
 * truncated hashes, and a chat's row is deleted once its bucket is full again.
 */
export const sendBudget = sqliteTable('send_budget', {
  key: text('key').primaryKey(),
  tokens: real('tokens').notNull(),
  updatedMs: integer('updated_ms').notNull(),
  pausedUntilMs: integer('paused_until_ms').notNull().default(0),
  replyWantedUntilMs: integer('reply_wanted_until_ms').notNull().default(0),
});

/** Ids of updates already handled, so a redelivered webhook does not run twice. No personal data. */
export const processedUpdates = sqliteTable(
  'processed_updates',
  {
    channel: text('channel').notNull(),
    externalId: text('external_id').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.externalId] })],
);

/** Privileged actions: who (a person id or "cli"), what, on which id. Never personal data. */
export const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  subjectType: text('subject_type').notNull(),
  subjectId: integer('subject_id'),
  detail: text('detail', { mode: 'json' }),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
});

/** A municipality's registration rule (cohorts, quarter, rounds or from age 3), from config/municipalities.json or the CLI. */
export const municipalities = sqliteTable('municipalities', {
  name: text('name').primaryKey(),
  rule: text('rule', { mode: 'json' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Published deadline days ("2027-03" → "2027-03-04"); coordinators add next year's with the CLI. */
export const registrationDates = sqliteTable(
  'registration_dates',
  {
    municipality: text('municipality').notNull(),
    deadlineMonth: text('deadline_month').notNull(),
    date: text('date').notNull(),
  },
  (t) => [primaryKey({ columns: [t.municipality, t.deadlineMonth] })],
);

export const EVENT_KINDS = ['tour', 'open_morning', 'carrousel', 'kickoff', 'play_morning'] as const;

export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    initiativeId: integer('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: EVENT_KINDS }).notNull(),
    startsAt: integer('starts_at', { mode: 'timestamp_ms' }).notNull(),
    endsAt: integer('ends_at', { mode: 'timestamp_ms' }).notNull(),
    /** Null: no limit. */
    capacity: integer('capacity'),
    /** Audience: the child's age at the event, in months. */
    minAgeMonths: integer('min_age_months').notNull().default(24),
    maxAgeMonths: integer('max_age_months').notNull().default(42),
    /** Per language: { nl: "...", en: "..." }; Dutch is required. */
    titles: text('titles', { mode: 'json' }).notNull(),
    places: text('places', { mode: 'json' }).notNull(),
    cancelledAt: integer('cancelled_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [index('events_initiative').on(t.initiativeId, t.startsAt)],
);

export const eventRsvps = sqliteTable(
  'event_rsvps',
  {
    eventId: integer('event_id').notNull().references(() => events.id, { onDelete: 'cascade' }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    answer: text('answer', { enum: RSVP_ANSWERS }).notNull(),
    /** For "yes": a place, or a spot on the waiting list (ordered by `answeredAt`). */
    status: text('status', { enum: RSVP_STATUSES }).notNull(),
    answeredAt: integer('answered_at', { mode: 'timestamp_ms' }).notNull(),
    attended: integer('attended', { mode: 'boolean' }),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.personId] }), index('event_rsvps_person').on(t.personId)],
);

/** When an initiative's newsletter goes out: every N weeks from a first local date and time. */
export const newsletterSchedules = sqliteTable('newsletter_schedules', {
  initiativeId: integer('initiative_id')
    .primaryKey()
    .references(() => initiatives.id, { onDelete: 'cascade' }),
  everyWeeks: integer('every_weeks').notNull(),
  firstDate: text('first_date').notNull(),
  time: text('time').notNull(),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
});

/** A newsletter written per language; the oldest unissued one goes out at the next scheduled moment. */
export const newsletters = sqliteTable(
  'newsletters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    initiativeId: integer('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    texts: text('texts', { mode: 'json' }).notNull(),
    /** The scheduled moment ("2027-03-01T10:00") it was issued for; null while waiting. */
    issuedFor: text('issued_for'),
    createdAt: createdAt(),
  },
  (t) => [index('newsletters_initiative').on(t.initiativeId)],
);

/**
 * `paused`: a broadcast's row held back while its author paused it (resume: planned again).
 * `held`: WhatsApp Cloud outside the 24-hour window sent the approved "a message for you" template;
 * the full message waits for the parent's reply (then it is sent and the row becomes `sent`).
 */
export const DELIVERY_STATUSES = ['planned', 'queued', 'sending', 'sent', 'skipped', 'expired', 'failed', 'unreachable', 'paused', 'held'] as const;

/**
 * Every proactive message is first a row here, with a unique key (rule, person, child,
 * occurrence); when it is nearly due, a BullMQ job whose id is `d<id>`. The row is the truth:
 * the worker re-checks it before sending and records the result after.
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull().unique(),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    childId: integer('child_id').references(() => children.id, { onDelete: 'cascade' }),
    ruleId: text('rule_id').notNull(),
    /** The channel (and so the queue) it goes out on, chosen when planned. */
    channel: text('channel', { enum: CHANNELS }).notNull(),
    /** `broadcast`: one parent's copy of a broadcast or nudge run (rule id `b<broadcast id>`). */
    kind: text('kind', { enum: ['reminder', 'newsletter', 'notice', 'broadcast'] }).notNull(),
    priority: integer('priority').notNull().default(0),
    dueAt: integer('due_at', { mode: 'timestamp_ms' }).notNull(),
    sendAt: integer('send_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
    /** A deadline reminder may break the frequency cap from 48 h before this moment. */
    urgentFrom: integer('urgent_from', { mode: 'timestamp_ms' }),
    payload: text('payload', { mode: 'json' }).notNull(),
    /** planned (row only) → queued (a job in Redis) → sending (claimed) → sent | skipped | expired | failed | unreachable. */
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('planned'),
    attempts: integer('attempts').notNull().default(0),
    partsSent: integer('parts_sent').notNull().default(0),
    lastError: text('last_error'),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    /** The messenger's id of the sent message, and what its status webhooks said (WhatsApp Cloud). */
    externalId: text('external_id'),
    channelStatus: text('channel_status', { enum: ['sent', 'delivered', 'read', 'failed'] }),
    channelStatusAt: integer('channel_status_at', { mode: 'timestamp_ms' }),
    /**
     * The process that claimed it last (`host:pid:random`) and when (wall clock): a row left in
     * `sending` by a process that is gone is queued again (ADR 0004), never one a live worker holds.
     */
    claimedBy: text('claimed_by'),
    claimedAt: integer('claimed_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    // Only rows that went out have a messenger's id: planned rows (a rebuild writes a million and more) skip this index.
    index('deliveries_external').on(t.externalId).where(sql`external_id is not null`),
    index('deliveries_status_send').on(t.status, t.sendAt), index('deliveries_person_send').on(t.personId, t.sendAt),
    // The outreach ladder's history (rule ids ladder1–3): a partial index costs nothing to other rows.
    index('deliveries_ladder').on(t.personId, t.ruleId).where(sql`rule_id like 'ladder%'`),
  ],
);

/** One-time codes to link a second messenger to the same person (10 minutes, used once). */
export const linkCodes = sqliteTable('link_codes', {
  code: text('code').primaryKey(),
  personId: integer('person_id')
    .notNull()
    .references(() => people.id, { onDelete: 'cascade' }),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * Wrong link codes of the last hour (src/core/link-attempts.ts), shared by every process. No
 * personal data: `subject` is a channel name, or a keyed hash of a chat or of a person id.
 */
export const linkAttempts = sqliteTable(
  'link_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['channel', 'chat', 'person'] }).notNull(),
    subject: text('subject').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('link_attempts_subject').on(t.kind, t.subject, t.at), index('link_attempts_at').on(t.at)],
);

/** Random keys drawn once per database (e.g. the key that hashes chats in `link_attempts`). */
export const appKeys = sqliteTable('app_keys', {
  name: text('name').primaryKey(),
  key: text('key').notNull(),
});

/**
 * One-time invites to a staff role on an initiative (src/db/invites.repo.ts). Only a SHA-256
 * hash of the random token is stored; an invite is used once and lives 7 days.
 */
export const invites = sqliteTable(
  'invites',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: text('token_hash').notNull(),
    initiativeId: integer('initiative_id')
      .notNull()
      .references(() => initiatives.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['ambassador', 'coordinator'] }).notNull(),
    createdBy: integer('created_by').references(() => people.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    usedBy: integer('used_by').references(() => people.id, { onDelete: 'set null' }),
  },
  (t) => [uniqueIndex('invites_token_hash').on(t.tokenHash), index('invites_initiative').on(t.initiativeId)],
);

/* ── Nudges (issue 11, item 4; src/db/nudges.repo.ts) ─────────────────────────────────────── */

export const NUDGE_KINDS = ['once', 'recurring', 'relative'] as const;
export const NUDGE_STATUSES = ['active', 'paused', 'cancelled', 'done'] as const;

/**
 * A coordinator's nudge: a message (the versions of its template broadcast, a broadcast row in
 * status 'draft' with this nudge's id), an audience and a moment. Once and recurring nudges run
 * as a new broadcast per occurrence (`nudge_runs`); a relative nudge is the initiative's own
 * reminder rule (`rule`, the schema of config/reminder-rules.json), planned by the timeline.
 * No personal data: the author only as a person id (SET NULL on erasure).
 */
export const nudges = sqliteTable(
  'nudges',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    initiativeId: integer('initiative_id')
      .notNull()
      .references(() => initiatives.id, { onDelete: 'cascade' }),
    createdBy: integer('created_by').references(() => people.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: NUDGE_KINDS }).notNull(),
    /** AudienceFilter (src/domain/broadcast.types.ts). */
    audience: text('audience', { mode: 'json' }).notNull(),
    /** NudgeMoment (src/domain/nudge.types.ts). */
    moment: text('moment', { mode: 'json' }).notNull(),
    /** Relative nudges: the reminder rule the planner adds for this initiative's parents (id `n<id>`). */
    rule: text('rule', { mode: 'json' }),
    status: text('status', { enum: NUDGE_STATUSES }).notNull().default('active'),
    /** The broadcast (status 'draft', nudge_id = this id) that holds the versions per language. */
    templateBroadcastId: integer('template_broadcast_id'),
    /** Once and recurring: the next occurrence not yet run (null: none left, or relative). */
    nextAt: integer('next_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [index('nudges_initiative').on(t.initiativeId), index('nudges_due').on(t.status, t.nextAt)],
);

/**
 * Each run of a once or recurring nudge (and each "trigger now"): the broadcast it created.
 * `runKey` is the occurrence ("2027-03-01T10:00" local, or "now:<ms>"), unique per nudge, so an
 * occurrence fires once, also across restarts and with two processes.
 */
export const nudgeRuns = sqliteTable(
  'nudge_runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    nudgeId: integer('nudge_id')
      .notNull()
      .references(() => nudges.id, { onDelete: 'cascade' }),
    runKey: text('run_key').notNull(),
    broadcastId: integer('broadcast_id'),
    trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('nudge_runs_key').on(t.nudgeId, t.runKey)],
);

/*
 * Broadcasts (issue 11, item 2; src/db/broadcasts.repo.ts, src/jobs/broadcast.runner.ts).
 * A broadcast is a message of an initiative with one version per language, to an audience
 * (a filter, never a list), at a moment. Each parent it reaches gets one `deliveries` row
 * (kind 'broadcast', rule `b<id>`, key `b<id>|p<person>`), so erasing a parent erases their copy.
 */
export const BROADCAST_STATUS_VALUES = ['draft', 'pending', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'rejected'] as const;

export const broadcasts = sqliteTable(
  'broadcasts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    initiativeId: integer('initiative_id')
      .notNull()
      .references(() => initiatives.id, { onDelete: 'cascade' }),
    /** Null: written with the CLI, or the author was erased. */
    authorId: integer('author_id').references(() => people.id, { onDelete: 'set null' }),
    /** The chat flow's handle on a draft it just created (BroadcastReads.draftByKey). */
    draftKey: text('draft_key'),
    status: text('status', { enum: BROADCAST_STATUS_VALUES }).notNull().default('draft'),
    /** An AudienceFilter (src/domain/broadcast.types.ts). */
    audience: text('audience', { mode: 'json' }).notNull(),
    /** Null: as soon as it is confirmed. */
    sendAt: integer('send_at', { mode: 'timestamp_ms' }),
    needsApproval: integer('needs_approval', { mode: 'boolean' }).notNull().default(false),
    approvedBy: integer('approved_by').references(() => people.id, { onDelete: 'set null' }),
    approvedAt: integer('approved_at', { mode: 'timestamp_ms' }),
    /** A run of a coordinator nudge (issue 11, item 4): the nudge's id (no FK: the nudge area owns it). */
    nudgeId: integer('nudge_id'),
    /** Where the author's progress message lives, to edit it in place (the identity and the messenger's message id). */
    progressIdentityId: integer('progress_identity_id').references(() => identities.id, { onDelete: 'set null' }),
    progressExternalId: text('progress_external_id'),
    progressAt: integer('progress_at', { mode: 'timestamp_ms' }),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
    /** A BroadcastSummary, written when it is done (or cancelled). */
    summary: text('summary', { mode: 'json' }),
    createdAt: createdAt(),
  },
  (t) => [index('broadcasts_status_send').on(t.status, t.sendAt), index('broadcasts_initiative').on(t.initiativeId), index('broadcasts_author').on(t.authorId, t.draftKey)],
);

/** One version per language; text and/or media (a voice note, photo or PDF of the media store; no FK: the media area owns it). */
export const broadcastVersions = sqliteTable(
  'broadcast_versions',
  {
    broadcastId: integer('broadcast_id')
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    lang: text('lang').notNull(),
    text: text('text'),
    mediaId: integer('media_id'),
    mediaType: text('media_type'),
    /** A machine translation: never sent before its author approved (or edited) it. */
    machine: integer('machine', { mode: 'boolean' }).notNull().default(false),
    approved: integer('approved', { mode: 'boolean' }).notNull().default(true),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.lang] })],
);

/** Per initiative: ambassadors' broadcasts need a coordinator's approval (absent row: no). */
export const broadcastSettings = sqliteTable('broadcast_settings', {
  initiativeId: integer('initiative_id')
    .primaryKey()
    .references(() => initiatives.id, { onDelete: 'cascade' }),
  ambassadorApproval: integer('ambassador_approval', { mode: 'boolean' }).notNull().default(false),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/* ── Relay: parents' questions (issue 11, item 5; src/db/relay.repo.ts) ─────────────────────── */

/**
 * A parent's question (or call-back request) and the conversation about it. It hangs off the
 * parent with ON DELETE CASCADE: erasing the parent erases the thread, its messages and the list
 * of staff it was offered to, so the ambassador's side keeps nothing (their notices carry only
 * the thread id and are rendered from here at send time). `tier` is who was asked last: 0 the
 * ambassadors who speak the parent's language, 1 the other ambassadors, 2 the coordinators,
 * 3 nobody left; `tier_at` is when, so the escalation job moves it on after 24 hours unclaimed.
 */
export const relayThreads = sqliteTable(
  'relay_threads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    initiativeId: integer('initiative_id')
      .notNull()
      .references(() => initiatives.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: RELAY_KINDS }).notNull(),
    source: text('source', { enum: RELAY_SOURCES }).notNull(),
    /** What it was asked under: a broadcast id, a reminder rule id, a phase action key (no personal data). */
    sourceRef: text('source_ref'),
    /** The parent's language when asked (routing and what the ambassador sees). */
    language: text('language').notNull(),
    status: text('status', { enum: RELAY_STATUSES }).notNull().default('open'),
    tier: integer('tier').notNull().default(0),
    tierAt: integer('tier_at', { mode: 'timestamp_ms' }).notNull(),
    claimedBy: integer('claimed_by').references(() => people.id, { onDelete: 'set null' }),
    claimedAt: integer('claimed_at', { mode: 'timestamp_ms' }),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    closedBy: text('closed_by', { enum: RELAY_CLOSERS }),
    /** Call-back tasks: the outcome, and the number the parent typed for this one call (deleted with the outcome, or after 14 days). */
    outcome: text('outcome', { enum: CALLBACK_OUTCOMES }),
    outcomeAt: integer('outcome_at', { mode: 'timestamp_ms' }),
    callbackPhone: text('callback_phone'),
    callbackPhoneUntil: integer('callback_phone_until', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('relay_threads_person').on(t.personId),
    index('relay_threads_initiative').on(t.initiativeId, t.status),
    index('relay_threads_due').on(t.status, t.tierAt),
  ],
);

/** What was said in a thread, in order: the question, answers and replies (the texts themselves never go to logs). */
export const relayMessages = sqliteTable(
  'relay_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    threadId: integer('thread_id')
      .notNull()
      .references(() => relayThreads.id, { onDelete: 'cascade' }),
    /** true: the parent wrote it; false: the staff member who claimed the thread. */
    fromParent: integer('from_parent', { mode: 'boolean' }).notNull(),
    authorId: integer('author_id').references(() => people.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('relay_messages_thread').on(t.threadId)],
);

/** Which staff members a thread was offered to, and at which tier (so escalation asks new people only). */
export const relayOffers = sqliteTable(
  'relay_offers',
  {
    threadId: integer('thread_id')
      .notNull()
      .references(() => relayThreads.id, { onDelete: 'cascade' }),
    staffId: integer('staff_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    tier: integer('tier').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.threadId, t.staffId] }), index('relay_offers_staff').on(t.staffId)],
);

/* ── Media: voice notes, photos and files sent in the chat (issue 11, item 2; src/db/media.repo.ts) ── */

export const MEDIA_TYPE_VALUES = ['voice', 'photo', 'document'] as const;
export const MEDIA_STATUS_VALUES = ['pending', 'ready', 'failed'] as const;

/**
 * A file a person sent in the chat (today: a broadcast version's voice note, photo or PDF). It
 * belongs to its sender (`owner_id`, ON DELETE CASCADE: a voice is personal data); the bytes live
 * in `<data dir>/media/<id>` (never a name from the user in a path) and are removed with the row.
 * `ref` is the messenger's own reference (Telegram file_id, WhatsApp media id, whatsapp-web.js
 * message ref) to fetch it after the turn: pending → ready (stored) or failed (`failure` says why).
 */
export const media = sqliteTable(
  'media',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    ref: text('ref').notNull(),
    type: text('type', { enum: MEDIA_TYPE_VALUES }).notNull(),
    mimeType: text('mime_type'),
    filename: text('filename'),
    durationSeconds: integer('duration_seconds'),
    bytes: integer('bytes'),
    status: text('status', { enum: MEDIA_STATUS_VALUES }).notNull().default('pending'),
    /** Why it failed: 'too_large', 'gone' (the messenger no longer has it), 'error'. */
    failure: text('failure'),
    attempts: integer('attempts').notNull().default(0),
    /** The stored file's absolute path (`<data dir>/media/<id>`), so erasure can remove it; null until ready. */
    path: text('path'),
    sha256: text('sha256'),
    /** Per messenger, an upload already done (MediaUploads, src/core/media.ts): sent by reference next time. */
    uploads: text('uploads', { mode: 'json' }).$type<MediaUploads>(),
    fetchedAt: integer('fetched_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [index('media_owner').on(t.ownerId), index('media_status').on(t.status)],
);

/* ── The outreach ladder (issue 12, item 2; src/domain/outreach-ladder.ts) ───────────────────── */

/** Per initiative: the ladder on or off, and its cool-down (absent row: on, with the default). */
export const outreachSettings = sqliteTable('outreach_settings', {
  initiativeId: integer('initiative_id')
    .primaryKey()
    .references(() => initiatives.id, { onDelete: 'cascade' }),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  cooldownDays: integer('cooldown_days').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * The initiative's voice note for the ladder's second step, per language (a stored media row of
 * its recorder: erased with them). Step 2 goes out as this voice note where one exists.
 */
export const outreachVoices = sqliteTable(
  'outreach_voices',
  {
    initiativeId: integer('initiative_id')
      .notNull()
      .references(() => initiatives.id, { onDelete: 'cascade' }),
    lang: text('lang').notNull(),
    mediaId: integer('media_id')
      .notNull()
      .references(() => media.id, { onDelete: 'cascade' }),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.initiativeId, t.lang] })],
);
