/**
 * The engine runs one turn of one conversation: load the person and their conversation,
 * run the pure flow step, then commit the new state, the effects and the rendered replies
 * in one transaction, and only after that send. The dispatcher guarantees one turn per
 * conversation at a time.
 */
import { randomInt } from 'node:crypto';
import type { i18n } from 'i18next';
import type { Clock } from './clock.js';
import { describeError } from './dispatcher.js';
import type { LinkAttempter, LinkAttempts } from './link-attempts.js';
import { addressKey, type Address, type ChannelName, type InboundMessage, type OutboundMessage } from './messages.js';
import type { Logger, Store } from './ports.js';
import type { PreConsentMemory } from './pre-consent.memory.js';
import { renderMyData } from './mydata.render.js';
import { renderReply, renderText } from './render.js';
import type { OutboundScheduler } from './outbound/outbound.scheduler.js';
import { step } from '../flows/router.js';
import type { Directory, FlowContext, FlowInput, FlowResult, LanguageInfo, LinkContext, PersonView } from '../flows/flow.types.js';
import { drawLinkCode } from '../domain/link-code.js';
import { newInviteToken } from './invite-token.js';
import type { AfterCommit } from './after-commit.js';

/** The link-code read the engine needs besides the Store port (createStore provides it). */
export interface LinkCodeStore {
  /** The person a one-time link code belongs to and when it expires; null when there is no such code. */
  findLinkCode(code: string): { personId: number; expiresAt: Date } | null;
  /** Wrong link codes per channel, person and chat, shared by every process (src/db/link-attempts.repo.ts). */
  linkAttempts: LinkAttempts;
}

export interface EngineDeps {
  store: Store & LinkCodeStore;
  directory: Directory;
  /** The one outbound path per channel (read at send time, so channels added later are seen). */
  outbound: Map<ChannelName, OutboundScheduler>;
  i18n: i18n;
  languages: LanguageInfo[];
  memory: PreConsentMemory;
  clock: Clock;
  logger: Logger;
  defaultLanguage: string;
  timeZone: string;
  /** Draws a link code in canonical form (default: node:crypto); tests may fix it. */
  drawLinkCode?: () => string;
  /** Codes may be redeemed from the local web chat (LOCAL_CHAT_LINKING; default false). */
  localChatLinking?: boolean;
  /** The Telegram bot's username, for invite deep links (TELEGRAM_BOT_USERNAME). */
  botUsername?: string;
  /** Told of every committed turn with effects (src/core/after-commit.ts); never awaited by the turn. */
  afterCommit?: AfterCommit;
}

export interface Engine {
  /**
   * Runs one turn and resolves once its replies are committed and handed to the channel's
   * outbound scheduler (not when they are delivered: a slow messenger must not hold the
   * updates of other parents). Replies committed before a crash are sent by the scheduler.
   */
  handle(message: InboundMessage): Promise<void>;
}

/** A uniformly random 12-symbol base-32 code from the operating system's CSPRNG (src/domain/link-code.ts). */
export const randomLinkCode = (): string => drawLinkCode((max) => randomInt(0, max));

/** Draws for a code that is live for someone else: a collision is re-drawn, never stolen. */
const MAX_CODE_DRAWS = 5;

export function createEngine(deps: EngineDeps): Engine {
  const { store, memory, logger } = deps;
  const draw = deps.drawLinkCode ?? randomLinkCode;

  function linkContext(address: Address, person: PersonView | null): LinkContext {
    const who: LinkAttempter = { channel: address.channel, chatId: address.chatId, personId: person?.id ?? null };
    return {
      freshCode: draw(),
      redeemAllowed: address.channel !== 'local' || deps.localChatLinking === true,
      refusal: () => store.linkAttempts.refusal(who, deps.clock.now()),
      find(code) {
        const row = store.findLinkCode(code);
        const person = row ? store.loadPerson(row.personId) : null;
        return row && person ? { person, expiresAt: row.expiresAt } : null;
      },
    };
  }

  /** Counts a wrong code (in SQLite, shared by every process); says so once a channel's budget is spent. */
  function countLinkMiss(address: Address, person: PersonView | null, now: Date): void {
    const who: LinkAttempter = { channel: address.channel, chatId: address.chatId, personId: person?.id ?? null };
    store.linkAttempts.miss(who, now);
    if (store.linkAttempts.refusal(who, now) === 'channel') logger.warn({ channel: address.channel }, 'wrong link codes: the budget of this channel is used up for now');
  }

  /** Runs the pure step; if it hands out a code someone else holds, runs it again with another. */
  function runStep(stored: unknown, content: FlowInput, ctx: FlowContext): FlowResult {
    let res = step(stored, content, ctx);
    for (let i = 1; i < MAX_CODE_DRAWS && issuesTakenCode(res, ctx); i++) {
      res = step(stored, content, { ...ctx, link: { ...ctx.link, freshCode: draw() } });
    }
    return res;
  }

  function issuesTakenCode(res: FlowResult, ctx: FlowContext): boolean {
    return res.effects.some((e) => {
      if (e.type !== 'linkCode') return false;
      const held = store.findLinkCode(e.code);
      return held !== null && held.personId !== ctx.person?.id && held.expiresAt.getTime() > ctx.now.getTime();
    });
  }

  async function handle(message: InboundMessage): Promise<void> {
    const { address } = message;
    if (message.externalId && store.alreadyHandled(address.channel, message.externalId)) {
      logger.debug({ channel: address.channel }, 'duplicate update ignored');
      return;
    }
    const identity = store.findIdentity(address);
    const person = identity ? store.loadPerson(identity.personId) : null;
    const stored = identity ? (store.loadConversation(identity.identityId)?.state ?? null) : memory.get(addressKey(address));
    const ctx: FlowContext = {
      now: deps.clock.now(),
      timeZone: deps.timeZone,
      channel: address.channel,
      person,
      directory: deps.directory,
      languages: deps.languages,
      defaultLanguage: deps.defaultLanguage,
      languageHint: message.languageHint,
      link: linkContext(address, person),
      inviteToken: newInviteToken(),
      ...(deps.botUsername ? { botUsername: deps.botUsername } : {}),
    };

    let res: FlowResult;
    try {
      res = runStep(stored, message.content, ctx);
    } catch (err) {
      // A bug in a flow must not silence the bot: apologise and keep the old state.
      logger.error({ err: describeError(err), channel: address.channel, personId: person?.id }, 'flow step failed');
      return reply(address, [{ text: renderText(deps.i18n, person?.language ?? deps.defaultLanguage, { key: 'common:error' }) }]);
    }

    const outbound: OutboundMessage[] = [];
    if (identity && res.effects.some((e) => e.type === 'exportData')) {
      const data = store.exportPerson(identity.personId);
      if (data) outbound.push(...renderMyData(deps.i18n, res.language, data));
    }
    outbound.push(...res.replies.map((r) => renderReply(deps.i18n, res.language, r)));
    const dir = deps.i18n.dir(res.language) === 'rtl' ? 'rtl' : 'ltr';
    for (const m of outbound) Object.assign(m, { lang: res.language, dir });

    if (res.effects.some((e) => e.type === 'linkMiss')) countLinkMiss(address, person, ctx.now);
    const linking = res.effects.some((e) => e.type === 'linkChat');
    const consenting = linking || res.effects.some((e) => e.type === 'consent');
    if (!identity && !consenting) {
      // The answer and the "handled" mark are committed together: a crash before the send
      // leaves the answer in the outbox for the next start, and the redelivered update is skipped.
      let ids: number[];
      try {
        ids = store.commitPreConsent({ address, outbound, externalId: message.externalId });
      } catch (err) {
        logger.error({ err: describeError(err), channel: address.channel }, 'commit failed');
        return reply(address, [{ text: renderText(deps.i18n, deps.defaultLanguage, { key: 'common:error' }) }]);
      }
      memory.set(addressKey(address), res.state);
      return reply(address, outbound, ids);
    }
    let outboxIds: number[];
    try {
      const commit = store.commitTurn({ address, identity, state: res.state, effects: res.effects, outbound, externalId: message.externalId });
      outboxIds = commit.outboxIds;
      memory.delete(addressKey(address));
      if (!commit.identity) logger.info({ channel: address.channel, personId: person?.id }, 'person erased');
      else if (linking) logger.info({ channel: address.channel, personId: commit.identity.personId }, 'chat linked to a person');
      else if (!identity) logger.info({ channel: address.channel, personId: commit.identity.personId }, 'person consented');
    } catch (err) {
      logger.error({ err: describeError(err), channel: address.channel, personId: person?.id }, 'commit failed');
      const lang = person?.language ?? deps.defaultLanguage;
      return reply(address, [{ text: renderText(deps.i18n, lang, { key: 'common:error' }) }]);
    }
    reply(address, outbound, outboxIds);
    if (deps.afterCommit && res.effects.length) {
      void deps.afterCommit.emit({ effects: res.effects, personId: person?.id ?? null, channel: address.channel, now: ctx.now });
    }
  }

  /** Hands committed replies to the channel's outbound scheduler; delivery goes on after the turn. */
  function reply(address: Address, messages: OutboundMessage[], ids: number[] = []): void {
    const scheduler = deps.outbound.get(address.channel);
    if (!scheduler) {
      logger.error({ channel: address.channel }, 'no outbound scheduler for this channel: replies stay in the outbox');
      return;
    }
    scheduler.enqueueReplies(
      address.chatId,
      messages.map((message, i) => ({ id: ids[i], message })),
    );
  }

  return { handle };
}
