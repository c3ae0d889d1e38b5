/**
 * The SQLite schema (drizzle sqlite-core). Privacy is structural: a child is a birth
 * year and month, a postcode is 4 digits, and nothing records ethnicity, nationality or
 * migration background. Every row about a person hangs off `people` with ON DELETE
 * CASCADE, so erasing the person erases everything. Times are UTC (epoch milliseconds).
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const people = sqliteTable('people', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  language: text('language').notNull(),
  displayName: text('display_name'),
  pc4: text('pc4'),
  heardFrom: text('heard_from'),
  proactive: integer('proactive', { mode: 'boolean' }).notNull().default(true),
  createdAt: createdAt(),
});

export const identities = sqliteTable(
  'identities',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: ['telegram', 'local', 'whatsapp'] }).notNull(),
    chatId: text('chat_id').notNull(),
    unreachableAt: integer('unreachable_at', { mode: 'timestamp_ms' }),
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
    role: text('role', { enum: ['parent', 'ambassador', 'coordinator'] }).notNull(),
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
    kind: text('kind', { enum: ['data', 'proactive'] }).notNull(),
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

/** Rendered replies, committed with the turn and sent after commit. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    identityId: integer('identity_id').notNull().references(() => identities.id, { onDelete: 'cascade' }),
    message: text('message', { mode: 'json' }).notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    lastError: text('last_error'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('outbox_status').on(t.status), index('outbox_person').on(t.personId)],
);

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
