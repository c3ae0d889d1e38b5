/**
 * Broadcast, step 3: one version per language of the audience, Dutch first (required, with
 * text: parents without a version in their language read it). Per language: typed text, a voice
 * note recorded in the chat, or a photo or PDF (its caption becomes the text); "skip" leaves the
 * language to the fallback. After the Dutch text an optional flyer (photo or PDF). When machine
 * translation is configured the author may ask the computer for the missing languages: each
 * draft is shown marked as such and is sent only once approved, or replaced by a typed text.
 * States: `version` (li: the language), `flyer`, `drafts`.
 */
import type { Reply, Text } from '../core/messages.js';
import type { BroadcastVersionView, BroadcastView } from '../domain/broadcast.types.js';
import type { Effect, FlowContext } from './flow.types.js';
import { choice, say, text } from './kit.js';
import { ask, bare, bc, draftOf, go, languageName, readsOf, type Compose, type Move, type StepDef, type StepInput } from './broadcast-common.flow.js';

/** Longer texts are refused kindly: a chat message, not a newsletter (and a caption must stay readable). */
export const MAX_TEXT = 3000;
const PDF = 'application/pdf';

/** The versions as they will be once this turn's effects are applied (a file's id is not known yet: -1). */
export function versionsNow(b: BroadcastView | null, pending: readonly Effect[]): BroadcastVersionView[] {
  const out = new Map((b?.versions ?? []).map((v) => [v.lang, { ...v }]));
  const blank = (lang: string): BroadcastVersionView => ({ lang, text: null, media: null, machine: false, approved: true });
  for (const e of pending) {
    if (e.type !== 'broadcast') continue;
    const cmd = e.command;
    if (cmd.op === 'version') out.set(cmd.lang, { ...(out.get(cmd.lang) ?? blank(cmd.lang)), text: cmd.text, machine: cmd.machine ?? false, approved: !cmd.machine });
    if (cmd.op === 'versionMedia') {
      const v = out.get(cmd.lang) ?? blank(cmd.lang);
      out.set(cmd.lang, { ...v, media: { mediaId: -1, type: cmd.media.type }, text: cmd.caption?.trim() ? cmd.caption.trim() : v.text, machine: false, approved: true });
    }
    if (cmd.op === 'approveVersion') {
      const v = out.get(cmd.lang);
      if (v) out.set(cmd.lang, { ...v, approved: true });
    }
  }
  return [...out.values()];
}

const hasText = (v: BroadcastVersionView | undefined): boolean => Boolean(v?.text?.trim());
const isDraft = (v: BroadcastVersionView | undefined): boolean => Boolean(v?.machine && !v.approved);

/** "text", "voice note", "text with a photo": what a version holds. */
export function describeVersion(v: BroadcastVersionView): Text {
  const media = v.media ? text(`compose:kind.${v.media.type}`) : null;
  if (media && hasText(v)) return text('compose:kind.textWith', { media });
  return media ?? text('compose:kind.text');
}

const langOfStep = (c: Compose): string => c.langs?.[c.li ?? 0] ?? 'nl';

/** After a version: back to where an edit came from, the flyer question after the Dutch text, the next language, or the preview. */
function next(c: Compose, versions: BroadcastVersionView[], before: Reply[], effects: Effect[]): Move {
  const lang = langOfStep(c);
  if (c.ret) return go(c.ret, { ...bare(c), ret: undefined }, before, effects);
  const v = versions.find((x) => x.lang === lang);
  if (lang === 'nl' && !v?.media) return go('flyer', c, before, effects);
  return afterLanguage(c, (c.li ?? 0) + 1, before, effects);
}

function afterLanguage(c: Compose, li: number, before: Reply[], effects: Effect[]): Move {
  if (li < (c.langs?.length ?? 1)) return go('version', { ...c, li }, before, effects);
  return go('preview', { ...c, li: (c.langs?.length ?? 1) - 1 }, before, effects);
}

function onInput(c: Compose, input: StepInput, ctx: FlowContext): Move | null {
  const lang = langOfStep(c);
  const b = draftOf(c, ctx);
  if (!b) return null;
  const effects: Effect[] = [];
  if (input.kind === 'text') {
    const typed = input.text.trim();
    if (!typed) return null;
    if (typed.length > MAX_TEXT) return go('version', c, [say('compose:version.tooLong', { max: MAX_TEXT })]);
    effects.push(bc({ op: 'version', broadcastId: b.id, lang, text: typed, machine: false }));
  } else if (input.kind === 'media') {
    if (input.media.type === 'document' && input.media.mimeType !== PDF) return go('version', c, [say('compose:version.onlyPdf')]);
    const caption = input.caption?.trim();
    if (caption && caption.length > MAX_TEXT) return go('version', c, [say('compose:version.tooLong', { max: MAX_TEXT })]);
    effects.push(bc({ op: 'versionMedia', broadcastId: b.id, lang, channel: ctx.channel, media: input.media, ...(caption ? { caption } : {}) }));
  } else return null;
  const versions = versionsNow(b, effects);
  const v = versions.find((x) => x.lang === lang);
  const saved = say('compose:version.saved', { language: languageName(lang, ctx), what: v ? describeVersion(v) : text('compose:kind.text') });
  // The Dutch version needs words: parents without a version in their language read it.
  if (lang === 'nl' && !hasText(v)) return go('version', c, [saved, say('compose:version.needDutchText')], effects);
  return next(c, versions, [saved], effects);
}

function onButton(c: Compose, what: string, arg: string | undefined, ctx: FlowContext): Move | null {
  const lang = langOfStep(c);
  const b = draftOf(c, ctx);
  if (!b) return null;
  const v = b.versions.find((x) => x.lang === lang);
  switch (what) {
    case 'keep':
      return v && (lang !== 'nl' || hasText(v)) ? next(c, b.versions, [], []) : null;
    case 'skip':
      return lang === 'nl' ? null : c.ret ? go(c.ret, { ...bare(c), ret: undefined }) : afterLanguage(c, (c.li ?? 0) + 1, [], []);
    case 'ok':
      if (arg !== lang || !isDraft(v)) return null;
      return next(c, b.versions, [say('compose:drafts.approved', { language: languageName(lang, ctx) })], [bc({ op: 'approveVersion', broadcastId: b.id, lang })]);
    case 'draft':
      return requestDrafts(c, b, ctx);
  }
  return null;
}

/** "Let the computer draft the missing languages": only with translation configured and a Dutch text to start from. */
function requestDrafts(c: Compose, b: BroadcastView, ctx: FlowContext): Move | null {
  if (!readsOf(ctx)?.translationAvailable() || !hasText(b.versions.find((v) => v.lang === 'nl'))) return null;
  const missing = (c.langs ?? []).filter((l) => l !== 'nl' && !b.versions.some((v) => v.lang === l));
  if (missing.length === 0) return go('drafts', c, [say('compose:drafts.nothingMissing')]);
  const names = missing.map((l) => languageName(l, ctx)).join(', ');
  return go('drafts', c, [say('compose:drafts.requested', { languages: names })], [bc({ op: 'requestDrafts', broadcastId: b.id, languages: missing })]);
}

function versionPrompt(c: Compose, ctx: FlowContext, pending: readonly Effect[]): Reply[] {
  const lang = langOfStep(c);
  const b = draftOf(c, ctx);
  const v = versionsNow(b, pending).find((x) => x.lang === lang);
  const language = languageName(lang, ctx);
  const canDraft = lang !== 'nl' && !c.ret && readsOf(ctx)?.translationAvailable() === true && hasText(versionsNow(b, pending).find((x) => x.lang === 'nl'));
  const keep = [choice('bc:keep', 'compose:button.keep')];
  const skip = [choice('bc:skip', 'compose:button.skip')];
  const draft = canDraft ? [[choice('bc:draft', 'compose:button.draft')]] : [];
  if (v && isDraft(v)) {
    return [ask('compose:version.machine', { language, text: v.text ?? '' }, [[choice(`bc:ok:${lang}`, 'compose:button.approve')], skip])];
  }
  if (v && (lang !== 'nl' || hasText(v))) {
    const current = hasText(v) ? [say('compose:version.current', { language, text: v.text ?? '' })] : [];
    return [...current, ask('compose:version.has', { language, what: describeVersion(v) }, [keep])];
  }
  if (lang === 'nl') return [ask(v ? 'compose:version.needDutchText' : 'compose:version.askDutch')];
  return [ask('compose:version.ask', { language }, [skip, ...draft])];
}

const version: StepDef = {
  prompt: versionPrompt,
  handle: (c, input, ctx) => (input.kind === 'button' ? onButton(c, input.what, input.arg, ctx) : onInput(c, input, ctx)),
  back: (c) => {
    if (c.ret) return go(c.ret, { ...bare(c), ret: undefined });
    const li = c.li ?? 0;
    return li === 0 ? go('audience', bare(c)) : go('version', { ...c, li: li - 1 });
  },
};

const flyer: StepDef = {
  prompt: () => [ask('compose:flyer.ask', undefined, [[choice('bc:noflyer', 'compose:button.noFlyer')]])],
  handle: (c, input, ctx) => {
    if (input.kind === 'button') return input.what === 'noflyer' ? afterLanguage(c, 1, [], []) : null;
    if (input.kind !== 'media') return null;
    const b = draftOf(c, ctx);
    if (!b) return null;
    if (input.media.type === 'voice' || (input.media.type === 'document' && input.media.mimeType !== PDF)) return go('flyer', c, [say('compose:flyer.onlyPhotoOrPdf')]);
    // The Dutch text stays: a flyer's caption does not replace it.
    const effects = [bc({ op: 'versionMedia', broadcastId: b.id, lang: 'nl', channel: ctx.channel, media: input.media })];
    return afterLanguage(c, 1, [say('compose:flyer.saved')], effects);
  },
  back: (c) => go('version', { ...c, li: 0 }),
};

const drafts: StepDef = {
  prompt: (c, ctx, pending) => {
    const versions = versionsNow(draftOf(c, ctx), pending);
    const langs = (c.langs ?? []).filter((l) => l !== 'nl');
    const toCheck = langs.filter((l) => isDraft(versions.find((v) => v.lang === l)));
    // A language the translation server could not do is said once, not awaited for ever (Somali,
    // Tigrinya and Tarifit have no machine translation here: a typed text or a voice note serves them).
    const state = readsOf(ctx)?.draftsState?.(c.bid ?? 0);
    const missing = langs.filter((l) => !versions.some((v) => v.lang === l));
    const failed = state ? missing.filter((l) => state.failed.includes(l)) : [];
    const waiting = state?.finished ? [] : missing.filter((l) => !failed.includes(l));
    const items = toCheck.map((l) =>
      say('compose:drafts.item', { language: languageName(l, ctx), text: versions.find((v) => v.lang === l)?.text ?? '' }, [
        [choice(`bc:ok:${l}`, 'compose:button.approve'), choice(`bc:edit:${l}`, 'compose:button.edit')],
      ]),
    );
    const wait = waiting.length ? [say('compose:drafts.waiting', { languages: waiting.map((l) => languageName(l, ctx)).join(', ') }, [[choice('bc:drafts', 'compose:button.refresh')]])] : [];
    const none = failed.length ? [say('compose:drafts.failed', { languages: failed.map((l) => languageName(l, ctx)).join(', ') })] : [];
    return [...items, ...none, ...wait, ask(toCheck.length ? 'compose:drafts.ask' : 'compose:drafts.allChecked', undefined, [[choice('bc:preview', 'compose:button.preview')]])];
  },
  handle: (c, input, ctx) => {
    if (input.kind !== 'button') return null;
    const b = draftOf(c, ctx);
    const langs = c.langs ?? [];
    switch (input.what) {
      case 'drafts':
        return go('drafts', c);
      case 'preview':
        return go('preview', { ...c, li: langs.length - 1 });
      case 'ok': {
        const v = b?.versions.find((x) => x.lang === input.arg);
        if (!b || !input.arg || !isDraft(v)) return null;
        return go('drafts', c, [say('compose:drafts.approved', { language: languageName(input.arg, ctx) })], [bc({ op: 'approveVersion', broadcastId: b.id, lang: input.arg })]);
      }
      case 'edit': {
        const li = langs.indexOf(input.arg ?? '');
        return li > 0 ? go('version', { ...c, li, ret: 'drafts' }) : null;
      }
    }
    return null;
  },
  back: (c) => go('version', { ...c, li: (c.langs?.length ?? 1) - 1 }),
};

export const VERSION_STEPS: Record<string, StepDef> = { version, flyer, drafts };
