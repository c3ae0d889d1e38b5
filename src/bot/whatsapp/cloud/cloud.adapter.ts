/**
 * The WhatsApp Business Cloud API channel (for organisations): I/O only.
 *
 * Inbound: Meta posts to the webhook (cloud.webhook.ts checks the signature); messages go
 * through the mapper to `onInbound`, each one also marks the 24-hour customer-service window
 * (`onInboundSeen`); message statuses go to `onStatus`.
 * Outbound: inside the window (the parent's last message < 24 h ago) free-form messages —
 * reply buttons or a list when the choices fit WhatsApp's limits, else the numbered text.
 * Outside it only an approved template (config/whatsapp-templates.json): the message's own in
 * the reader's language, else the stand-in "a message from your initiative; reply to read it"
 * (`planTemplate`): the outcome is then `sent` with `held`, the delivery row waits as 'held', and
 * the parent's next message releases it (`releaseHeld`), inside the window. Without any approved
 * template the message is not sent and the outcome says why (the delivery row shows it).
 * WhatsApp may also accept a message and report the closed window later (131047 in a failed
 * status webhook): the chat counts as outside the window until the parent writes again, and the
 * module queues the delivery once more, which then goes out as a template like a refusal on the send.
 * Phone numbers never reach a log: `hashPhone` only.
 */
import { createHash } from 'node:crypto';
import type { i18n } from 'i18next';
import type { Config } from '../../../config.js';
import type { Clock } from '../../../core/clock.js';
import type { SendOutcome } from '../../../core/errors.js';
import type { LoadedMedia, MediaDownloader, MediaLibrary } from '../../../core/media.js';
import type { InboundMessage, OutboundMessage } from '../../../core/messages.js';
import type { ChannelAdapter, ChannelHealth, InboundHandler, Logger, SendOptions } from '../../../core/ports.js';
import { describeError } from '../../../core/dispatcher.js';
import { miniHtmlToPlain } from '../../../core/render.js';
import { languageForPhone } from '../../../domain/phone-language.js';
import { answerHint, buildKeywordIndex, createPendingChoices, formatForWhatsApp, hashPhone, splitText, WHATSAPP_MAX_TEXT, type FlatChoice } from '../whatsapp.text.js';
import { createGraphApi, interactiveBodyLimit, interactiveFor, tailWithin, type GraphApi, type GraphResult } from './cloud.api.js';
import type { FailedOutcome } from './cloud.errors.js';
import { CLOUD_MAX_CAPTION, cloudKindFor, createCloudMedia } from './cloud.media.js';
import { parseCloudWebhook, type CloudStatus } from './cloud.mapper.js';
import { OPEN_HELD, planStandIn, planTemplate, type TemplatePlan, type TemplateRequest, type WhatsAppTemplates } from './cloud.templates.js';
import { createCloudWebhook, WEBHOOK_PATH, type WebhookHandler } from './cloud.webhook.js';

export type WhatsAppCloudSettings = NonNullable<Config['whatsappCloud']>;

export interface WhatsAppCloudOptions {
  config: WhatsAppCloudSettings;
  i18n: i18n;
  /** Shipped language codes (keywords are accepted in each). */
  languages: string[];
  logger: Logger;
  clock: Clock;
  onInbound: InboundHandler;
  /** A status webhook said the number cannot be reached (131026, 131050). */
  onUnreachable?: (chatId: string) => void;
  /** The parent's last message on this chat, as stored (null: never, or not stored yet). */
  lastInboundAt(chatId: string): Date | null;
  onInboundSeen(chatId: string, at: Date): void;
  /** A status webhook; a failure carries WhatsApp's error code and its title. */
  onStatus(messageId: string, status: CloudStatus, at: Date, errorCode?: number, errorTitle?: string): void;
  /**
   * The parent wrote (after the bot's turn, or at once for a tap on "read it"): deliveries held
   * behind a stand-in go back to the queue. Returns how many; absent: nothing is held in storage.
   */
  releaseHeld?(chatId: string): number;
  /** A stand-in already waits for this chat's reply: another message just joins it (one "reply to read it" at a time). */
  hasHeld?(chatId: string): boolean;
  templates: WhatsAppTemplates;
  /** Stored voice notes, photos and files (OutboundMessage.media); without it the text goes alone. */
  media?: MediaLibrary;
  /** Graph API request timeout; tests shorten it. */
  timeoutMs?: number;
}

export interface WhatsAppCloudChannel extends ChannelAdapter {
  webhook: { path: typeof WEBHOOK_PATH; handler: WebhookHandler };
  /** Fetches files people sent (by media id). */
  downloader: MediaDownloader;
  health(): ChannelHealth;
}

/** The customer-service window, with a minute's margin for the message in flight. */
export const WINDOW_MS = 24 * 3600_000;
const WINDOW_MARGIN_MS = 60_000;
const UNREACHABLE_CODES = new Set([131026, 131050]);
/** "Re-engagement message": the window is closed (on the send, or later in a failed status). */
export const WINDOW_CLOSED_CODE = 131047;
const MAX_REMEMBERED = 50_000;
/** The payload of a stand-in's or per-child template's one quick reply ("Bekijk"): what waits follows. */
export { OPEN_HELD };
/** A held message waits this long for the parent's answer (the reminder is stale after that). */
const HELD_MS = 14 * 24 * 3600_000;

type Step = { kind: 'text'; body: string } | { kind: 'interactive'; payload: Record<string, unknown> } | { kind: 'document' } | { kind: 'media'; caption?: string };
type ReadyMedia = Extract<LoadedMedia, { status: 'ready' }>;

export function createWhatsAppCloudChannel(options: WhatsAppCloudOptions): WhatsAppCloudChannel {
  const { logger, clock, i18n } = options;
  const api: GraphApi = createGraphApi({ ...options.config, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  const cloudMedia = createCloudMedia(api, options.media, clock);
  const pending = createPendingChoices(undefined, () => clock.now().getTime());
  const keywords = buildKeywordIndex(i18n, options.languages);
  const hint = answerHint(i18n);
  /** Inbound times seen by this process: the window opens before the person exists in the database. */
  const seen = new Map<string, number>();
  /** When WhatsApp said a chat's window is closed (131047), sooner than our clock thought; until the parent writes. */
  const closed = new Map<string, number>();
  /**
   * Messages with a button per child sent outside the window as a template with one "Bekijk"
   * button: the full message, sent as soon as the parent answers (in memory: after a restart the
   * answer reaches the bot like any other message and the menu shows; the buttons are lost).
   */
  const held = new Map<string, { message: OutboundMessage; until: number }>();
  let tokenProblem: string | null = null;

  const safely = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.error({ err: describeError(err), what }, 'whatsapp cloud callback failed');
    }
  };

  function remember(chatId: string, at: number): void {
    if ((closed.get(chatId) ?? Infinity) < at) closed.delete(chatId);
    if ((seen.get(chatId) ?? 0) >= at) return;
    seen.delete(chatId);
    seen.set(chatId, at);
    if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
  }

  function windowOpen(chatId: string): boolean {
    let stored = 0;
    try {
      stored = options.lastInboundAt(chatId)?.getTime() ?? 0;
    } catch (err) {
      logger.error({ err: describeError(err), what: 'lastInboundAt' }, 'whatsapp cloud callback failed');
    }
    const last = Math.max(seen.get(chatId) ?? 0, stored);
    return last > 0 && last > (closed.get(chatId) ?? 0) && clock.now().getTime() - last < WINDOW_MS - WINDOW_MARGIN_MS;
  }

  function markClosed(chatId: string, at: number): void {
    seen.delete(chatId);
    closed.delete(chatId);
    closed.set(chatId, at);
    if (closed.size > MAX_REMEMBERED) closed.delete(closed.keys().next().value as string);
  }

  function heldAlready(chatId: string): boolean {
    try {
      return options.hasHeld?.(chatId) ?? false;
    } catch (err) {
      logger.error({ err: describeError(err), what: 'hasHeld' }, 'whatsapp cloud callback failed');
      return false;
    }
  }

  function releaseStored(chatId: string): number {
    try {
      return options.releaseHeld?.(chatId) ?? 0;
    } catch (err) {
      logger.error({ err: describeError(err), what: 'releaseHeld' }, 'whatsapp cloud callback failed');
      return 0;
    }
  }

  function track<T extends GraphResult>(result: T): T {
    if (result.ok) tokenProblem = null;
    else if (result.tokenRejected) {
      tokenProblem = result.outcome.reason;
      logger.error({ reason: result.outcome.reason }, 'WhatsApp Cloud API refused the access token: renew WHATSAPP_CLOUD_TOKEN (nothing can be sent until then)');
    }
    return result;
  }

  function failed(chatId: string, stage: string, outcome: FailedOutcome, extra: object = {}): SendOutcome {
    logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), stage, outcome: outcome.status, reason: outcome.reason, ...extra }, 'whatsapp send failed');
    return outcome;
  }

  function stepsFor(message: OutboundMessage, media?: ReadyMedia): { steps: Step[]; choices: FlatChoice[] } {
    const numbered = formatForWhatsApp(message, hint);
    const steps: Step[] = numbered.parts.filter((p) => p.trim()).map((body) => ({ kind: 'text', body }));
    let result = steps;
    if (numbered.choices.length) {
      // Reply buttons cannot open a link: links stay in the body as "label: url" lines.
      const links = (message.choices ?? []).flat().filter((c) => c.url !== undefined);
      const text = formatForWhatsApp({ ...message, choices: links.length ? [links] : [] }, hint).parts.filter((p) => p.trim());
      const { head, tail } = tailWithin(text.pop() ?? '', interactiveBodyLimit(numbered.choices.length));
      const payload = interactiveFor(tail, numbered.choices, listButton(i18n, message.lang ?? 'nl', numbered.choices.length));
      const before = [...text, ...(head ? splitText(head, WHATSAPP_MAX_TEXT) : [])];
      if (payload) result = [...before.map((b): Step => ({ kind: 'text', body: b })), { kind: 'interactive', payload }];
    }
    if (media) {
      // A stored file first; the text is its caption where WhatsApp shows one (not on audio) and it fits, else it follows.
      const only = result.length === 1 ? result[0] : undefined;
      const caption = only?.kind === 'text' && cloudKindFor(media.media) !== 'audio' && [...only.body].length <= CLOUD_MAX_CAPTION ? only.body : undefined;
      result = caption !== undefined ? [{ kind: 'media', caption }] : [{ kind: 'media' }, ...result];
    }
    if (message.attachment) result = [...result, { kind: 'document' }];
    return { steps: result, choices: numbered.choices };
  }

  /** The message's stored file: ready, still being fetched, or gone (then the text goes alone; logged with ids). */
  function storedMedia(chatId: string, message: OutboundMessage): LoadedMedia | { status: 'none' } {
    if (!message.media) return { status: 'none' };
    const loaded: LoadedMedia = options.media ? options.media.load(message.media.mediaId) : { status: 'gone', reason: 'no media library on this channel' };
    if (loaded.status === 'gone') logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), mediaId: message.media.mediaId, reason: loaded.reason }, 'whatsapp: stored media is gone; sending the text only');
    return loaded;
  }

  function sendStep(chatId: string, message: OutboundMessage, step: Step, media?: ReadyMedia): Promise<GraphResult> {
    if (step.kind === 'text') return api.sendText(chatId, step.body);
    if (step.kind === 'interactive') return api.sendInteractive(chatId, step.payload);
    if (step.kind === 'media' && media) return cloudMedia.send(chatId, media, step.caption);
    return api.sendDocument(chatId, message.attachment!);
  }

  async function sendFreeForm(chatId: string, message: OutboundMessage, fromPart: number, proactive: boolean): Promise<{ outcome: SendOutcome; templateNeeded?: boolean }> {
    const stored = storedMedia(chatId, message);
    if (stored.status === 'pending') return { outcome: { status: 'retry', reason: 'media not fetched yet' } };
    const media = stored.status === 'ready' ? stored : undefined;
    const { steps, choices } = stepsFor(message, media);
    if (steps.length === 0) return { outcome: failed(chatId, 'prepare', { status: 'invalid', reason: stored.status === 'gone' ? stored.reason : 'message text is empty' }) };
    if (choices.length) pending.set(chatId, choices);
    else if (!proactive) pending.clear(chatId);
    let lastId: string | undefined;
    let partsSent = 0;
    for (const [i, step] of steps.entries()) {
      if (i < fromPart) continue;
      const result = track(await sendStep(chatId, message, step, media));
      if (!result.ok) {
        if (result.templateNeeded && partsSent === 0) return { outcome: result.outcome, templateNeeded: true };
        const resumable = (result.outcome.status === 'retry' || result.outcome.status === 'wait') && partsSent > 0 ? { ...result.outcome, partsSent } : result.outcome;
        return { outcome: failed(chatId, `${step.kind} ${i + 1}/${steps.length}`, resumable, { code: result.code }) };
      }
      lastId = result.id;
      partsSent++;
    }
    return { outcome: { status: 'sent', ...(lastId ? { externalId: lastId } : {}) } };
  }

  async function sendTemplate(chatId: string, message: OutboundMessage, proactive: SendOptions['proactive']): Promise<SendOutcome> {
    if (!proactive) {
      return failed(chatId, 'window', { status: 'invalid', reason: 'outside the 24-hour window: a reply cannot be sent without a template' });
    }
    // A template's quick replies answer; a link has no place there (the template's text is fixed).
    const choices = (message.choices ?? []).flat().filter((c) => c.url === undefined);
    const req: TemplateRequest = {
      key: proactive.key,
      lang: proactive.lang,
      fallbackLang: proactive.fallbackLang ?? null,
      params: proactive.params,
      ...(proactive.initiative ? { initiative: proactive.initiative } : {}),
      perChild: proactive.perChild === true,
      choices: choices.map((c) => c.value),
    };
    const plan = planTemplate(options.templates, req);
    const outcome = await sendPlanned(chatId, message, req, plan);
    if (outcome !== 'too long') return outcome;
    // WhatsApp measured the filled template longer than we did (132005): the stand-in goes instead.
    return (await sendPlanned(chatId, message, req, planStandIn(options.templates, req, 'WhatsApp found the filled template too long (132005)'))) as SendOutcome;
  }

  async function sendPlanned(chatId: string, message: OutboundMessage, req: TemplateRequest, plan: TemplatePlan): Promise<SendOutcome | 'too long'> {
    const { key, lang } = req;
    if (plan.kind === 'none') {
      logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), key, lang }, 'no approved WhatsApp template for this message and language: not sent');
      return { status: 'invalid', reason: plan.reason };
    }
    if (plan.kind === 'waiting' && heldAlready(chatId)) {
      logger.info({ channel: 'whatsapp', chat: hashPhone(chatId), key, why: plan.why }, 'whatsapp: a stand-in already waits for the parent; this message joins it');
      return { status: 'sent', held: true, reason: `${plan.why}; joins the stand-in already waiting` };
    }
    // A stand-in or a per-child variant has one button ("Bekijk"); typed back, it counts too.
    const open = plan.kind === 'waiting' || plan.variant ? plan.button : undefined;
    if (open) pending.set(chatId, [{ n: 1, value: OPEN_HELD, label: open }]);
    else if (plan.quickReplies.length) pending.set(chatId, formatForWhatsApp(message, hint).choices);
    const result = track(
      await api.sendTemplate(chatId, { name: plan.name, languageCode: plan.languageCode, bodyParams: plan.bodyParams, ...(plan.quickReplies.length ? { quickReplies: plan.quickReplies } : {}) }),
    );
    if (result.ok) {
      if (plan.kind === 'own') {
        if (plan.variant) hold(chatId, message);
        return { status: 'sent', externalId: result.id };
      }
      logger.info({ channel: 'whatsapp', chat: hashPhone(chatId), key, lang: plan.lang, template: plan.name, why: plan.why }, 'whatsapp: outside the window the stand-in went out; the full message follows when the parent writes');
      return { status: 'sent', externalId: result.id, held: true, reason: `${plan.why}; sent ${plan.name} (${plan.lang})` };
    }
    if (plan.kind === 'own' && result.code === 132005) return 'too long';
    if (result.template) logger.error({ channel: 'whatsapp', key, lang, template: plan.name, reason: result.outcome.reason }, 'WhatsApp refused the template: check it in WhatsApp Manager');
    return failed(chatId, 'template', result.outcome, { code: result.code, template: plan.name });
  }

  function hold(chatId: string, message: OutboundMessage): void {
    held.delete(chatId);
    held.set(chatId, { message, until: clock.now().getTime() + HELD_MS });
    if (held.size > MAX_REMEMBERED) held.delete(held.keys().next().value as string);
  }

  /** The parent answered: the held message (a button per child) goes out now, inside the window. */
  async function releaseHeld(chatId: string): Promise<boolean> {
    const entry = held.get(chatId);
    if (!entry) return false;
    held.delete(chatId);
    if (entry.until < clock.now().getTime()) return false;
    const free = await sendFreeForm(chatId, entry.message, 0, true);
    if (free.outcome.status !== 'sent') logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), outcome: free.outcome.status }, 'whatsapp held message could not be sent after the answer');
    return true;
  }

  async function send(chatId: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendOutcome> {
    if (windowOpen(chatId)) {
      const free = await sendFreeForm(chatId, message, opts.fromPart ?? 0, opts.proactive !== undefined);
      if (!free.templateNeeded) return free.outcome;
      // WhatsApp counts the window itself (a message from another device, a clock apart).
      markClosed(chatId, clock.now().getTime());
      logger.info({ channel: 'whatsapp', chat: hashPhone(chatId) }, 'whatsapp window closed on their side: trying a template');
    }
    return sendTemplate(chatId, message, opts.proactive);
  }

  async function onBody(body: unknown): Promise<void> {
    const events = parseCloudWebhook(body, { phoneNumberId: options.config.phoneNumberId, keywords, pending: (id) => pending.get(id) });
    const now = clock.now();
    const handled: Promise<void>[] = [];
    for (const m of events.messages) {
      const at = m.at && m.at.getTime() <= now.getTime() ? m.at : now;
      remember(m.from, at.getTime());
      safely('onInboundSeen', () => options.onInboundSeen(m.from, at));
      const language = languageForPhone(m.from);
      const inbound: InboundMessage = { address: { channel: 'whatsapp', chatId: m.from }, content: m.content, externalId: inboundRef(m.id), ...(language ? { languageHint: language } : {}) };
      const opened = m.content.kind === 'choice' && m.content.value === OPEN_HELD;
      // Again after the turn: the consent turn creates the identity that stores the time.
      handled.push(
        releaseHeld(m.from)
          .then(async (inMemory) => {
            if (!opened) {
              await options.onInbound(inbound);
              // After the turn: the bot's answer first, then what waited (a /stop in between has cancelled it).
              releaseStored(m.from);
              return;
            }
            // "Bekijk" only asks for what waits; when nothing does any more, the bot answers it as an old button.
            if (releaseStored(m.from) === 0 && !inMemory) await options.onInbound({ ...inbound, content: { kind: 'stale_choice' } });
          })
          .then(() => safely('onInboundSeen', () => options.onInboundSeen(m.from, at)))
          .catch((err: unknown) => logger.error({ err: describeError(err), chat: hashPhone(m.from) }, 'whatsapp inbound handler failed')),
      );
    }
    for (const s of events.statuses) {
      // Before the status is handled: the delivery it queues again must see the window closed.
      if (s.status === 'failed' && s.errorCode === WINDOW_CLOSED_CODE && s.recipient) markClosed(s.recipient, (s.at ?? now).getTime());
      safely('onStatus', () => options.onStatus(s.messageId, s.status, s.at ?? now, s.errorCode, s.errorTitle));
      if (s.status !== 'failed') continue;
      logger.warn({ channel: 'whatsapp', messageId: s.messageId, code: s.errorCode ?? null }, 'whatsapp reports a message as failed');
      const recipient = s.recipient;
      if (recipient && s.errorCode !== undefined && UNREACHABLE_CODES.has(s.errorCode) && options.onUnreachable) safely('onUnreachable', () => options.onUnreachable?.(recipient));
    }
    if (events.ignored) logger.debug({ changes: events.ignored }, 'whatsapp webhook changes for another phone number ignored');
    await Promise.all(handled);
  }

  return {
    name: 'whatsapp',
    send,
    downloader: cloudMedia.downloader,
    webhook: { path: WEBHOOK_PATH, handler: createCloudWebhook({ appSecret: options.config.appSecret, verifyToken: options.config.verifyToken, logger, onBody }) },
    health: () => (tokenProblem ? { name: 'whatsapp', state: 'down', detail: `access token refused: ${tokenProblem}` } : { name: 'whatsapp', state: 'up', detail: 'cloud api' }),
  };
}

/** The list's button text ("Kies"); until a locale has it, a sign and the numbers, readable in every language. */
function listButton(i18n: i18n, lang: string, count: number): string {
  return i18n.exists('whatsapp:listButton', { lng: lang }) ? miniHtmlToPlain(i18n.getFixedT(lang)('whatsapp:listButton', { count })) : `☰ 1–${count}`;
}

/**
 * A WhatsApp message id (wamid) encodes the sender's phone number. Before consent nothing
 * personal may be stored, and redelivery de-duplication keeps ids for a week, so it keeps a hash.
 */
export function inboundRef(wamid: string): string {
  return `wamid:${createHash('sha256').update(wamid).digest('hex').slice(0, 32)}`;
}
