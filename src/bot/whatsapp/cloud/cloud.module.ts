/**
 * The WhatsApp Business Cloud API as a channel module (channel 'whatsapp'). Limits: the
 * throughput configured for the number (WHATSAPP_CLOUD_RATE_PER_SECOND, Meta's default tier is
 * 80/s), and Meta's pair rate per recipient: about one message per 6 s, with short bursts.
 *
 * The 24-hour window in storage: a parent's message releases their deliveries held behind a
 * stand-in (they go to the queue at once); a failed status 131047 ("Re-engagement message") queues
 * the delivery once more, to go out as a template; other failures are recorded with their reason.
 * Held deliveries past their time expire (checked at start and every hour).
 */
import { expireHeld, hasHeld, recordChannelStatus, releaseHeld, reopenAfterWindowClosed } from '../../../db/deliveries.repo.js';
import { lastInboundAt, touchInbound } from '../../../db/identities.repo.js';
import { describeError } from '../../../core/dispatcher.js';
import type { ChannelModule } from '../../channel-module.js';
import { hashPhone } from '../whatsapp.text.js';
import { createWhatsAppCloudChannel, WINDOW_CLOSED_CODE } from './cloud.adapter.js';
import { scrub } from './cloud.errors.js';
import { loadTemplates } from './cloud.templates.js';

const EXPIRY_EVERY_MS = 3600_000;

export const whatsappCloudModule: ChannelModule = {
  id: 'whatsapp-cloud',
  channel: 'whatsapp',
  enabled: (config, taken) => Boolean(config.whatsappCloud) && !taken.has('whatsapp'),
  create({ config, logger, clock, i18n, languages, db, store, onInbound, onDeliveriesDue, media }) {
    const cloud = config.whatsappCloud;
    if (!cloud) throw new Error('whatsapp-cloud module created without its configuration');
    const wa = (chatId: string) => ({ channel: 'whatsapp' as const, chatId });
    const due = (): void => {
      try {
        onDeliveriesDue?.();
      } catch (err) {
        logger.error({ err: describeError(err) }, 'handing released WhatsApp deliveries to the queue failed; the next planner tick does it');
      }
    };
    const adapter = createWhatsAppCloudChannel({
      config: cloud,
      i18n,
      languages: languages.map((l) => l.code),
      logger,
      clock,
      templates: loadTemplates(cloud.templatesPath),
      ...(media ? { media } : {}),
      onInbound,
      onUnreachable: (chatId) => store.markUnreachable(wa(chatId)),
      lastInboundAt: (chatId) => lastInboundAt(db, wa(chatId)),
      onInboundSeen: (chatId, at) => void touchInbound(db, wa(chatId), at),
      onStatus: (messageId, status, at, errorCode, errorTitle) => {
        const reason = `whatsapp ${errorCode ?? '?'}${errorTitle ? `: ${scrub(errorTitle)}` : ''}`;
        if (status === 'failed' && errorCode === WINDOW_CLOSED_CODE) {
          const id = reopenAfterWindowClosed(db, messageId, clock.now(), `window closed after sending (${reason}): a template follows`);
          if (id !== null) {
            logger.info({ channel: 'whatsapp', deliveryId: id }, 'whatsapp reported the window closed after sending: the delivery goes out again as a template');
            due();
            return;
          }
        }
        recordChannelStatus(db, messageId, status, at, status === 'failed' ? reason : undefined);
      },
      hasHeld: (chatId) => hasHeld(db, wa(chatId), clock.now()),
      releaseHeld: (chatId) => {
        const ids = releaseHeld(db, wa(chatId), clock.now());
        if (ids.length) {
          logger.info({ channel: 'whatsapp', chat: hashPhone(chatId), released: ids.length }, 'the parent wrote: held WhatsApp messages follow');
          due();
        }
        return ids.length;
      },
    });
    // Both WhatsApp modules are channel 'whatsapp'; the official API is the one an organisation may use.
    if (config.whatsappWeb.enabled) logger.warn({}, 'WHATSAPP_WEB_ENABLED is ignored: the WhatsApp Cloud API is configured and wins (whatsapp-web.js is not started)');
    let timer: NodeJS.Timeout | undefined;
    const sweep = (): void => {
      try {
        const expired = expireHeld(db, clock.now());
        if (expired) logger.info({ channel: 'whatsapp', expired }, 'held WhatsApp messages expired: the parents did not reply');
      } catch (err) {
        logger.error({ err: describeError(err) }, 'expiring held WhatsApp messages failed');
      }
    };
    return {
      adapter,
      limits: {
        bot: { capacity: Math.max(1, Math.floor(cloud.ratePerSecond / 10)), perSecond: cloud.ratePerSecond },
        chat: { capacity: 10, perSecond: 1 / 6 },
        maxInFlight: 32,
      },
      start() {
        sweep();
        timer = setInterval(sweep, EXPIRY_EVERY_MS);
        timer.unref();
        return Promise.resolve();
      },
      stop() {
        clearInterval(timer);
        return Promise.resolve();
      },
      health: adapter.health,
      downloader: adapter.downloader,
      routes: [
        { method: 'GET', path: adapter.webhook.path, handler: adapter.webhook.handler },
        { method: 'POST', path: adapter.webhook.path, handler: adapter.webhook.handler },
      ],
    };
  },
};
