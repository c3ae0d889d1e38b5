/**
 * What the parts of the broadcast conversation share: the small state they keep, the author's
 * right to compose on the initiative (src/domain/authorization.ts), the draft handle, counts as
 * staff may see them, and the back/stop buttons every step has.
 *
 * State data (kept small; the versions live in the database):
 *   ini  the initiative;                key  the draft key (the draft is found with draftByKey);
 *   bid  the draft's id once known;     aud  the audience filter being built;
 *   langs the audience's languages, Dutch first, fixed when the audience is done;
 *   li   the language being written;    ret  where an edit returns to ('drafts' | 'preview');
 *   y, from, ev, day: the part of a two-step question answered so far;  at: the chosen moment (ISO).
 */
import type { Choice, InboundMedia, Reply, Text, TextParam } from '../core/messages.js';
import { may } from '../domain/authorization.js';
import type { AudienceFilter, BroadcastCommand, BroadcastReads, BroadcastView, SmallCount } from '../domain/broadcast.types.js';
import type { Effect, FlowContext, FlowState } from './flow.types.js';
import { choice, num, state, str, text } from './kit.js';

export interface Compose {
  ini: number;
  key: string;
  bid?: number;
  aud: AudienceFilter;
  langs?: string[];
  li?: number;
  ret?: 'drafts' | 'preview';
  y?: number;
  from?: string;
  ev?: number;
  day?: string;
  at?: string;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** The compose data of a state, checked field by field (a state is data from the database). */
export function composeOf(st: FlowState): Compose | null {
  const d = st.data;
  const ini = num(d, 'ini');
  const key = str(d, 'key');
  if (ini === undefined || !key) return null;
  const aud = typeof d.aud === 'object' && d.aud !== null && !Array.isArray(d.aud) ? (d.aud as AudienceFilter) : {};
  const c: Compose = { ini, key, aud };
  const bid = num(d, 'bid');
  if (bid !== undefined) c.bid = bid;
  const langs = strings(d.langs);
  if (langs) c.langs = langs;
  for (const k of ['li', 'y', 'ev'] as const) {
    const v = num(d, k);
    if (v !== undefined) c[k] = v;
  }
  for (const k of ['from', 'day', 'at'] as const) {
    const v = str(d, k);
    if (v !== undefined) c[k] = v;
  }
  const ret = str(d, 'ret');
  if (ret === 'drafts' || ret === 'preview') c.ret = ret;
  return c;
}

/** The state of a step. */
export const composeState = (step: string, lang: string, c: Compose): FlowState => state('broadcast', step, lang, { ...c } as Record<string, unknown>);

/** Without the half-answered parts of a two-step question (y, from, ev, day). */
export function bare(c: Compose): Compose {
  const { y: _y, from: _f, ev: _e, day: _d, ...keep } = c;
  return keep;
}

export const readsOf = (ctx: FlowContext): BroadcastReads | null => ctx.directory.broadcasts ?? null;
export const membershipsOf = (ctx: FlowContext) => ctx.person?.memberships ?? [];
export const mayCompose = (ctx: FlowContext, initiativeId: number): boolean => may(membershipsOf(ctx), 'broadcast', initiativeId);
export const mayApprove = (ctx: FlowContext, initiativeId: number): boolean => may(membershipsOf(ctx), 'broadcast.approve', initiativeId);

/** The author, or a coordinator of the broadcast's initiative, may pause, resume or cancel it. */
export function mayManage(ctx: FlowContext, b: BroadcastView): boolean {
  const mine = b.authorId !== null && b.authorId === ctx.person?.id && mayCompose(ctx, b.initiativeId);
  return mine || mayApprove(ctx, b.initiativeId);
}

/** A key only this author's next turn can find: the moment and the person, in base 36. */
export const draftKeyOf = (ctx: FlowContext): string => `k${ctx.now.getTime().toString(36)}p${(ctx.person?.id ?? 0).toString(36)}`;

/** The draft this composition works on: by id once known, else by its key; null when gone or not this author's. */
export function draftOf(c: Compose, ctx: FlowContext): BroadcastView | null {
  const reads = readsOf(ctx);
  const me = ctx.person?.id;
  if (!reads || me === undefined) return null;
  const b = c.bid !== undefined ? reads.byId(c.bid) : reads.draftByKey(me, c.key);
  if (!b || b.authorId !== me || b.initiativeId !== c.ini) return null;
  // A rejected broadcast is edited again (the store makes it a draft on the first change).
  return b.status === 'draft' || b.status === 'rejected' ? b : null;
}

/** A count as staff may see it: a number, or "fewer than 5". */
export const countText = (n: SmallCount): TextParam => (n === 'fewer-than-5' ? text('compose:count.fewer') : n);

/** A language by its own name ("Türkçe"), as a plain string (the code when it is not shipped). */
export const languageName = (code: string, ctx: FlowContext): string => ctx.languages.find((l) => l.code === code)?.endonym ?? code;

/** Texts one below the other in one message. */
export function lines(first: Text, ...rest: Text[]): Text {
  const [next, ...more] = rest;
  return next ? text('compose:join', { first, rest: lines(next, ...more) }) : first;
}

/** Back and stop: under every question of the composition. */
export const navRow = (): Choice[] => [choice('bc:back', 'compose:button.back'), choice('bc:stop', 'compose:button.stop')];

/** The question with its buttons, back and stop added. */
export const ask = (key: string, params?: Record<string, TextParam>, choices: Choice[][] = []): Reply => ({ text: text(key, params), choices: [...choices, navRow()] });

export const initiativeName = (id: number, ctx: FlowContext): string => ctx.directory.initiativeById(id)?.name ?? '';

/** What a step is given: a button of this flow (`bc:<what>:<arg>`), typed text, or a file. */
export type StepInput = { kind: 'button'; what: string; arg: string | undefined } | { kind: 'text'; text: string } | { kind: 'media'; media: InboundMedia; caption?: string };

/** Where a step goes: another step (whose question the flow asks), or out to the staff menu. */
export type Move = { step: string; c: Compose; say?: Reply[]; effects?: Effect[] } | { leave: Reply[]; effects?: Effect[] };

export interface StepDef {
  /** The step's question (`pending`: effects of this turn, not in the database yet). */
  prompt(c: Compose, ctx: FlowContext, pending: readonly Effect[]): Reply[];
  /** null: not an answer to this question (the flow says "please choose" and asks again). */
  handle(c: Compose, input: StepInput, ctx: FlowContext): Move | null;
  back(c: Compose, ctx: FlowContext): Move;
}

export const go = (step: string, c: Compose, say?: Reply[], effects?: Effect[]): Move => ({ step, c, ...(say ? { say } : {}), ...(effects ? { effects } : {}) });
export const bc = (command: BroadcastCommand): Effect => ({ type: 'broadcast', command });
