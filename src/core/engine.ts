/**
 * The engine runs one turn of one conversation: load the person and their conversation,
 * run the pure flow step, then commit the new state, the effects and the rendered replies
 * in one transaction, and only after that send. The dispatcher guarantees one turn per
 * conversation at a time.
 */
import type { i18n } from 'i18next';
import type { Clock } from './clock.js';
import { describeError } from './dispatcher.js';
import { addressKey, type ChannelName, type InboundMessage, type OutboundMessage } from './messages.js';
import type { ChannelAdapter, Logger, Store } from './ports.js';
import type { PreConsentMemory } from './pre-consent.memory.js';
import { renderMyData } from './mydata.render.js';
import { renderReply, renderText } from './render.js';
import { sendAll, sendOne } from './reply-sender.js';
import { step } from '../flows/router.js';
import type { Directory, FlowContext, FlowResult, LanguageInfo } from '../flows/flow.types.js';

export interface EngineDeps {
  store: Store;
  directory: Directory;
  channels: Map<ChannelName, ChannelAdapter>;
  i18n: i18n;
  languages: LanguageInfo[];
  memory: PreConsentMemory;
  clock: Clock;
  logger: Logger;
  defaultLanguage: string;
  timeZone: string;
}

export interface Engine {
  handle(message: InboundMessage): Promise<void>;
  /** Sends replies that were committed but not sent before a restart. */
  resendPending(): Promise<number>;
}

export function createEngine(deps: EngineDeps): Engine {
  const { store, memory, logger } = deps;

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
    };

    let res: FlowResult;
    try {
      res = step(stored, message.content, ctx);
    } catch (err) {
      // A bug in a flow must not silence the bot: apologise and keep the old state.
      logger.error({ err: describeError(err), channel: address.channel, personId: person?.id }, 'flow step failed');
      await sendOne(deps, address, { text: renderText(deps.i18n, person?.language ?? deps.defaultLanguage, { key: 'common:error' }) });
      return;
    }

    const outbound: OutboundMessage[] = [];
    if (identity && res.effects.some((e) => e.type === 'exportData')) {
      const data = store.exportPerson(identity.personId);
      if (data) outbound.push(...renderMyData(deps.i18n, res.language, data));
    }
    outbound.push(...res.replies.map((r) => renderReply(deps.i18n, res.language, r)));
    const dir = deps.i18n.dir(res.language) === 'rtl' ? 'rtl' : 'ltr';
    for (const m of outbound) Object.assign(m, { lang: res.language, dir });

    const consenting = res.effects.some((e) => e.type === 'consent');
    if (!identity && !consenting) {
      memory.set(addressKey(address), res.state);
      if (message.externalId) store.recordHandled(address.channel, message.externalId);
      await sendAll(deps, address, outbound, []);
      return;
    }
    let outboxIds: number[];
    try {
      const commit = store.commitTurn({ address, identity, state: res.state, effects: res.effects, outbound, externalId: message.externalId });
      outboxIds = commit.outboxIds;
      memory.delete(addressKey(address));
      if (!commit.identity) logger.info({ channel: address.channel, personId: person?.id }, 'person erased');
      else if (!identity) logger.info({ channel: address.channel, personId: commit.identity.personId }, 'person consented');
    } catch (err) {
      logger.error({ err: describeError(err), channel: address.channel, personId: person?.id }, 'commit failed');
      const lang = person?.language ?? deps.defaultLanguage;
      await sendOne(deps, address, { text: renderText(deps.i18n, lang, { key: 'common:error' }) });
      return;
    }
    await sendAll(deps, address, outbound, outboxIds);
  }

  async function resendPending(): Promise<number> {
    const rows = store.pendingOutbox();
    for (const row of rows) await sendOne(deps, row.address, row.message, row.id);
    if (rows.length) logger.info({ count: rows.length }, 'resent replies committed before a restart');
    return rows.length;
  }

  return { handle, resendPending };
}
