/**
 * At the channel's limit (issue 11, measured again by issue 13): a broadcast is delivered at
 * Telegram's limit while 100 parents chat. Targets: ≥ 95 % of the configured rate over 2 minutes
 * (`--quick`: 20 s), 0 caused 429s, 0 lost, 0 duplicated; the chatting parents' reply latency is
 * reported. Moved from scripts/bench-broadcast-delivery.ts.
 *
 * The real app in its own process (createApp, the real Telegram adapter, the outbound scheduler,
 * BullMQ on the private Redis, SQLite on disk) against the fake Bot API with Telegram's flood
 * limits on (30 message calls in any sliding second, 1/s per chat with a burst of 3; a call over a
 * limit gets a 429 and is not delivered), TELEGRAM_RATE_PER_SECOND=28. One broadcast in 8
 * languages (versions in 6) to 20 recipients per second of the window (2,400; quick 400), enough
 * to keep the bot at its limit for the window with the replies taking their share, while 100
 * parents of another initiative chat (/menu, then 5–15 s reading: 100 parents at 1 s would ask 100
 * answers a second of a bot Telegram lets send 30). The rate is every bot message (broadcast,
 * replies) from the first to the last broadcast message, as a share of 28/s. The domain clock is a
 * weekday 10:00 moving at real speed: quiet hours never hold the broadcast back.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createBroadcast, setVersion } from '../src/db/broadcasts.repo.js';
import { openDatabase } from '../src/db/client.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { startAppProcess } from './lib/app-child.js';
import { seedChatParents, startChatters } from './lib/chatters.js';
import { num, sleep } from './lib/format.js';
import { latencyFigures } from './lib/stats.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

const RATE = 28;
const CHATTERS = 100;
const THINK_MS = 10_000;
const RECIPIENT_BASE = 50_000_000;
const CHATTER_BASE = 60_000_000;
const BROADCAST_TEXT = 'Bench: de open ochtend is verplaatst naar dinsdag.';
/** A Tuesday 10:00 in Amsterdam. */
const DAYTIME = new Date('2026-12-08T09:00:00Z');
const LANGS = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'ti'];

export const channelLimit: Benchmark = {
  name: 'channel-limit',
  title: "At the channel's limit: a broadcast at Telegram's rate while 100 parents chat",
  async run(ctx): Promise<BenchOutput> {
    const windowS = ctx.quick ? 20 : 120;
    const recipients = 20 * windowS;
    const path = join(ctx.tempDir, 'channel-limit.db');
    const db = openDatabase(path);
    const ini = (code: string, name: string) => createInitiative(db, { name, school: name, neighbourhood: 'Oost', contact: 'x@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code }, 'bench').id;
    const audience = ini('bench-a', 'Samen naar De Regenboog');
    seedChatParents(db.$client, audience, RECIPIENT_BASE, recipients, (i) => LANGS[i % LANGS.length]!);
    seedChatParents(db.$client, ini('bench-b', 'Samen naar De Linde'), CHATTER_BASE, CHATTERS, () => 'nl');
    db.$client.close();
    const api = await startFakeBotApi({ limits: true });
    for (let i = 0; i < recipients; i++) api.meet(RECIPIENT_BASE + i);
    const chatIds = Array.from({ length: CHATTERS }, (_, i) => CHATTER_BASE + i);
    for (const id of chatIds) api.meet(id);
    try {
      const app = await startAppProcess({
        env: {
          TELEGRAM_BOT_TOKEN: api.token,
          TELEGRAM_API_ROOT: api.apiRoot,
          DATABASE_PATH: path,
          HTTP_PORT: '0',
          REDIS_URL: ctx.redisUrl,
          REDIS_PREFIX: `limit${Math.random().toString(36).slice(2, 8)}`,
          TELEGRAM_RATE_PER_SECOND: String(RATE),
        },
        clockBase: DAYTIME,
      });
      const chatters = startChatters(api, chatIds, THINK_MS);
      const reader = openDatabase(path);
      try {
        // The planner's first tick and the start-up calls are not the broadcast's.
        await app.tick();
        api.resetStats();
        const perChat = new Map<number, number>();
        let firstAt = Infinity;
        let lastAt = 0;
        const allAt: number[] = [];
        const stop = api.onSent((chatId, message, at) => {
          allAt.push(at);
          if (chatId < RECIPIENT_BASE || chatId >= RECIPIENT_BASE + recipients) return;
          if (!(message.plain ?? message.text ?? '').includes('open ochtend')) return;
          perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
          firstAt = Math.min(firstAt, at);
          lastAt = Math.max(lastAt, at);
        });
        ctx.log(`channel limit: chatting starts; a broadcast to ${num(recipients)} follows…`);
        await sleep(THINK_MS + 2_000);
        // Due at once: the app's runner picks it up within its 2 s loop.
        const id = createBroadcast(reader, { initiativeId: audience, authorId: null, audience: {}, sendAt: DAYTIME, status: 'scheduled' });
        for (const l of LANGS.slice(0, 6)) setVersion(reader, id, l, { text: `${BROADCAST_TEXT} (${l})` });
        chatters.measure(true);
        const count = reader.$client.prepare("select count(*) as n, sum(status in ('sent','failed','unreachable','skipped','expired')) as done from deliveries where rule_id = ?");
        const deadline = performance.now() + windowS * 4_000 + 60_000;
        while (performance.now() < deadline) {
          const c = count.get(`b${id}`) as { n: number; done: number | null };
          if (c.n > 0 && (c.done ?? 0) >= c.n) break;
          await sleep(500);
        }
        chatters.measure(false);
        stop();
        await chatters.stop();
        const stats = api.stats();
        const sendingMs = lastAt - firstAt;
        const inWindow = allAt.filter((t) => t >= firstAt && t <= lastAt).length;
        const rate = sendingMs > 0 ? (inWindow / sendingMs) * 1000 : 0;
        const figures: Figure[] = [
          { metric: 'share', label: `bot messages per second while sending, share of ${RATE}/s`, value: (100 * rate) / RATE, unit: '%' },
          { metric: 'sending', label: 'sending time (first to last broadcast message)', value: sendingMs / 1000, unit: 's' },
          { metric: 'caused429', label: '429s caused', value: stats.tooMany, unit: '' },
          { metric: 'lost', label: 'recipients never reached', value: recipients - perChat.size, unit: '' },
          { metric: 'duplicated', label: 'recipients reached twice', value: [...perChat.values()].filter((n) => n > 1).length, unit: '' },
          ...latencyFigures(chatters.latencies, undefined),
        ];
        return {
          figures,
          notes: [
            `${num(recipients)} recipients, ${num(inWindow)} bot messages in ${(sendingMs / 1000).toFixed(1)} s = ${rate.toFixed(1)}/s; most in any sliding second ${stats.maxInAnyWindow}; ` +
              `${chatters.latencies.length} replies to the chatting parents while sending (${chatters.unanswered()} not within 10 s)`,
          ],
        };
      } finally {
        await chatters.stop();
        reader.$client.close();
        await app.stop();
      }
    } finally {
      await api.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
  },
};
