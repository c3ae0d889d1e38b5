/**
 * The charts after /stats (issue 12, items 3–5), after the commit: a turn that committed a
 * `stats` effect (its figures went out as text) gets the three charts as PNG photos in the same
 * chat. Flows stay pure; this listener does the slow part off the turn: the report with its
 * month-by-month history (read in chunks, other chats go on meanwhile), labels in the coordinator's language,
 * rendering (src/core/charts), each PNG stored as the coordinator's media row (erased with them,
 * purged after a day: src/db/stats-charts.repo.ts), then one reply per chart through the channel's
 * outbound scheduler. The role is checked again here. Logs carry ids only.
 */
import { eq } from 'drizzle-orm';
import type { i18n } from 'i18next';
import type { Clock } from '../core/clock.js';
import type { AfterCommitListener } from '../core/after-commit.js';
import { renderChartPng } from '../core/charts/render.js';
import { describeError } from '../core/dispatcher.js';
import type { MediaStore } from '../core/media-store.js';
import type { ChannelName, OutboundMessage } from '../core/messages.js';
import type { OutboundScheduler } from '../core/outbound/outbound.scheduler.js';
import type { Logger } from '../core/ports.js';
import { renderText } from '../core/render.js';
import type { Db } from '../db/client.js';
import { membershipsOf } from '../db/invites.repo.js';
import { people } from '../db/schema.js';
import { chatOf, purgeExpiredCharts, queueReply, storeChart } from '../db/stats-charts.repo.js';
import { may } from '../domain/authorization.js';
import { chartInputs, chartLabels, CHART_KINDS } from '../domain/stats-charts.js';
import type { StatsReads } from '../domain/stats-report.types.js';
import type { ChartInput, ChartLabels } from '../domain/stats.types.js';
import type { LanguageInfo } from '../flows/flow.types.js';

export interface StatsChartsDeps {
  db: Db;
  reads: StatsReads;
  i18n: i18n;
  languages: readonly LanguageInfo[];
  store: MediaStore;
  /** The outbound scheduler per channel (read when sending, like the engine's). */
  outbound: ReadonlyMap<ChannelName, OutboundScheduler>;
  /** This process's name on the outbox rows it writes. */
  outboxOwner: string;
  clock: Clock;
  logger: Logger;
  /** Draws a chart (default: src/core/charts/render.ts). */
  render?: (input: ChartInput, labels: ChartLabels) => Promise<Buffer>;
}

export function statsChartsListener(deps: StatsChartsDeps): AfterCommitListener {
  return async ({ effects, personId, channel, now }) => {
    if (personId === null) return;
    for (const e of effects) if (e.type === 'stats') await sendCharts(deps, personId, channel, e.initiativeId, now);
  };
}

/** Renders, stores and sends the three charts; returns how many photos were queued (0 when refused or failed). */
export async function sendCharts(deps: StatsChartsDeps, personId: number, channel: ChannelName, initiativeId: number, now: Date): Promise<number> {
  const { db, logger } = deps;
  const log = { personId, initiativeId, channel };
  const person = db.select({ language: people.language }).from(people).where(eq(people.id, personId)).get();
  const chat = chatOf(db, personId, channel);
  const scheduler = deps.outbound.get(channel);
  if (!person || !chat || !scheduler || !may(membershipsOf(db, personId), 'stats.view', initiativeId)) return 0;
  const report = await deps.reads.reportWithHistory(initiativeId, now);
  if (!report) return 0;
  const lang = person.language;
  const t = deps.i18n.getFixedT(lang, 'stats');
  const text = (key: string, params?: Record<string, string | number>): string => String(t(key, params ?? {}));
  const dir = deps.i18n.dir(lang) === 'rtl' ? ('rtl' as const) : ('ltr' as const);
  const send = (message: OutboundMessage): void => {
    const id = queueReply(db, { personId, identityId: chat.identityId, channel, chatId: chat.chatId, message: { ...message, lang, dir }, owner: deps.outboxOwner, now: deps.clock.now() });
    scheduler.enqueueReplies(chat.chatId, [{ id, message: { ...message, lang, dir } }]);
  };
  purgeExpiredCharts(db, deps.clock.now());
  const labels = chartLabels(report, lang, text);
  const inputs = chartInputs(report, lang, text, (code) => deps.languages.find((l) => l.code === code)?.endonym ?? code);
  const render = deps.render ?? renderChartPng;
  const started = Date.now();
  let pngs: Buffer[];
  try {
    pngs = await Promise.all(inputs.map((input) => render(input, labels)));
  } catch (err) {
    logger.error({ ...log, err: describeError(err) }, 'stats charts could not be drawn');
    send({ text: renderText(deps.i18n, lang, { key: 'stats:chartsFailed' }) });
    return 0;
  }
  pngs.forEach((png, i) => {
    const kind = CHART_KINDS[i]!;
    const mediaId = storeChart(db, deps.store, { ownerId: personId, channel, kind, initiativeId, png, now: deps.clock.now() });
    send({ text: renderText(deps.i18n, lang, { key: `stats:chart.${kind}` }), media: { mediaId, type: 'photo' } });
  });
  logger.info({ ...log, charts: pngs.length, ms: Date.now() - started, bytes: pngs.reduce((n, p) => n + p.length, 0) }, 'stats charts sent');
  return pngs.length;
}
