/**
 * The broadcast conversation (issue 11, item 2): an ambassador or coordinator writes a message
 * to the parents of their initiative, in every parent's language, step by step:
 *   1. the initiative (only those where src/domain/authorization.ts allows 'broadcast'; skipped
 *      when there is one), 2. the audience, with the count at once, 3. a version per language
 *      (text or a voice note; machine drafts need the author's approval), 4. the preview per
 *      language group, 5. the moment, 6. the confirmation.
 * The parts live in broadcast-audience/-versions/-send.flow.ts, each a map of steps; this file
 * routes input to the current step and asks the next step's question. Buttons that work from
 * anywhere (approve, reject, pause, resume, cancel, the staff menu's items) are in
 * broadcast-staff.flow.ts. Every turn checks the role again; a parent, or staff of another
 * initiative, is refused politely and nothing is written. Writes are effects
 * `{ type: 'broadcast', command }` (src/db/broadcast.effects.ts).
 *
 * Entry points used by the router: beginBroadcast (command /broadcast, "Bericht sturen"),
 * handleBroadcastChoice (`bc:` buttons), handleBroadcast (typed text or a file while in this
 * flow), broadcastPrompt (ask the current step again).
 */
import type { Reply } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, result, say, state, text } from './kit.js';
import { mainMenu } from './menu.flow.js';
import { refuseStaff, staffMenu } from './staff.flow.js';
import { AUDIENCE_STEPS, startOn } from './broadcast-audience.flow.js';
import { bc, composeOf, composeState, draftOf, mayCompose, membershipsOf, readsOf, type Compose, type Move, type StepDef, type StepInput } from './broadcast-common.flow.js';
import { PREVIEW_BUTTON, SEND_STEPS } from './broadcast-send.flow.js';
import { handleBroadcastStaffChoice } from './broadcast-staff.flow.js';
import { VERSION_STEPS } from './broadcast-versions.flow.js';

const STEPS: Record<string, StepDef> = { ...AUDIENCE_STEPS, ...VERSION_STEPS, ...SEND_STEPS };
const stepOf = (name: string): StepDef | undefined => (Object.hasOwn(STEPS, name) ? STEPS[name] : undefined);

/** The initiative step before one is chosen. */
const UNCHOSEN: Compose = { ini: 0, key: '-', aud: {} };

/** Goes where a step sent us: its question, or the staff menu. */
function finish(m: Move, lang: string, ctx: FlowContext): FlowResult {
  const effects = m.effects ?? [];
  if ('leave' in m) return { ...staffMenu(lang, ctx, m.leave), effects };
  const replies: Reply[] = [...(m.say ?? []), ...(stepOf(m.step)?.prompt(m.c, ctx, effects) ?? [])];
  return result(composeState(m.step, lang, m.c), lang, replies, effects);
}

export function beginBroadcast(lang: string, ctx: FlowContext, prev: FlowState | null = null): FlowResult {
  const ids = initiativesFor(membershipsOf(ctx), 'broadcast');
  if (!ctx.person || ids.length === 0) return refuseStaff(lang, ctx);
  if (!readsOf(ctx)) return staffMenu(lang, ctx, [say('common:error')]);
  // Already writing one: go on where the author was (Stoppen ends it).
  const current = prev?.flow === 'broadcast' ? ready(prev, ctx) : null;
  if (prev && current && !('leave' in current)) return result(composeState(prev.step, lang, current), lang, [say('compose:continuing'), ...promptOf(prev.step, current, ctx)]);
  if (ids.length === 1 && ids[0] !== undefined) return finish(startOn(ids[0], ctx), lang, ctx);
  return finish({ step: 'initiative', c: UNCHOSEN }, lang, ctx);
}

const promptOf = (step: string, c: Compose, ctx: FlowContext): Reply[] => stepOf(step)?.prompt(c, ctx, []) ?? [];

/**
 * The composition of a state, checked for this turn: the author may still broadcast on the
 * initiative, and the draft is still theirs and still a draft (its id is remembered from now on).
 */
function ready(st: FlowState, ctx: FlowContext): Compose | { leave: Reply[] } {
  const c = composeOf(st);
  if (!c || !stepOf(st.step)) return { leave: [say('compose:gone')] };
  if (st.step === 'initiative') return c;
  if (!mayCompose(ctx, c.ini)) return { leave: [say('staff:refused')] };
  const draft = draftOf(c, ctx);
  if (!draft) return { leave: [say('compose:gone')] };
  return { ...c, bid: draft.id };
}

export function handleBroadcastChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  if (!ctx.person) return null;
  const [, what = '', arg, extra] = value.split(':');
  const again = (replies: Reply[]): FlowResult => (prev?.flow === 'broadcast' ? result(prev, lang, [...replies, ...broadcastPrompt(prev, ctx)]) : withMenuButton(replies, lang));
  const staff = handleBroadcastStaffChoice(what, arg, extra, lang, ctx, again);
  if (staff) return staff;
  if (value === PREVIEW_BUTTON) return prev?.flow === 'broadcast' ? again([say('compose:preview.inert')]) : mainMenu(lang, ctx, [say('compose:preview.inert')]);
  if (what === 'new') return beginBroadcast(lang, ctx, prev);
  if (what === 'redo') return editAgain(arg, lang, ctx);
  if (prev?.flow !== 'broadcast') return null;
  const c = ready(prev, ctx);
  if ('leave' in c) return finish(c, lang, ctx);
  if (what === 'stop') return finish({ leave: [say('compose:stopped')], effects: cancelDraft(c) }, lang, ctx);
  const def = stepOf(prev.step);
  if (!def) return null;
  if (what === 'back') return finish(backFrom(def, c, ctx), lang, ctx);
  const m = def.handle(c, { kind: 'button', what, arg }, ctx);
  if (!m) return result(composeState(prev.step, lang, c), lang, [say('common:staleButton'), ...promptOf(prev.step, c, ctx)]);
  return finish(m, lang, ctx);
}

/** Outside the composition an answer ends with a way back to the staff menu (not the whole menu: its counts are from before this turn). */
function withMenuButton(replies: Reply[], lang: string): FlowResult {
  const back = [[choice('staff:menu', 'compose:button.staffMenu')]];
  const last = replies.at(-1);
  const out = last ? [...replies.slice(0, -1), { ...last, choices: [...(last.choices ?? []), ...back] }] : replies;
  return result(state('staff', 'menu', lang), lang, out);
}

/**
 * `bc:redo:<id>`: the author changes a rejected broadcast (or an unfinished draft) and sends it
 * again, starting from its preview. Only the author, while still allowed to broadcast there.
 */
function editAgain(arg: string | undefined, lang: string, ctx: FlowContext): FlowResult {
  const id = Number(arg);
  const b = Number.isInteger(id) ? (readsOf(ctx)?.byId(id) ?? null) : null;
  if (!b) return withMenuButton([say('compose:manage.unknown')], lang);
  if (b.authorId !== ctx.person?.id || !mayCompose(ctx, b.initiativeId)) return refuseStaff(lang, ctx);
  if (b.status !== 'rejected' && b.status !== 'draft') return withMenuButton([say('compose:manage.notNow', { status: text(`compose:status.${b.status}`) })], lang);
  const count = readsOf(ctx)?.audienceCount(b.initiativeId, b.audience, ctx.now);
  const others = (count?.byLanguage ?? []).filter((l) => l.count !== 0 && l.lang !== 'nl').map((l) => l.lang);
  const langs = ['nl', ...new Set([...others, ...b.versions.map((v) => v.lang).filter((l) => l !== 'nl')])];
  const c: Compose = { ini: b.initiativeId, key: 'redo', bid: b.id, aud: b.audience, langs, li: langs.length - 1 };
  return finish({ step: 'preview', c }, lang, ctx);
}

const cancelDraft = (c: Compose) => (c.bid !== undefined ? [bc({ op: 'cancel', broadcastId: c.bid })] : []);

/** Back to the initiative question drops the draft (another initiative gets a new one); with one initiative, back from the audience ends. */
function backFrom(def: StepDef, c: Compose, ctx: FlowContext): Move {
  const m = def.back(c, ctx);
  if ('leave' in m || m.step !== 'initiative') return m;
  const several = initiativesFor(membershipsOf(ctx), 'broadcast').length > 1;
  return several ? { step: 'initiative', c: UNCHOSEN, effects: cancelDraft(c) } : { leave: [say('compose:stopped')], effects: cancelDraft(c) };
}

export function handleBroadcast(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  const c = ready(st, ctx);
  if ('leave' in c) return finish(c, lang, ctx);
  const def = stepOf(st.step);
  const stepInput: StepInput | null =
    input.kind === 'text' ? { kind: 'text', text: input.text } : input.kind === 'media' ? { kind: 'media', media: input.media, ...(input.caption ? { caption: input.caption } : {}) } : null;
  const m = def && stepInput ? def.handle(c, stepInput, ctx) : null;
  if (m) return finish(m, lang, ctx);
  const why = input.kind === 'media' ? 'compose:noFileHere' : input.kind === 'text' ? 'common:pleaseChoose' : 'common:staleButton';
  return result(composeState(st.step, lang, c), lang, [say(why), ...promptOf(st.step, c, ctx)]);
}

export function broadcastPrompt(st: FlowState, ctx: FlowContext): Reply[] {
  const c = ready(st, ctx);
  if ('leave' in c) return staffMenu(st.lang, ctx, c.leave).replies;
  return promptOf(st.step, c, ctx);
}
