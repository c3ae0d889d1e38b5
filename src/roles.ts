/**
 * The parts of Ouderbrug that can run as separate processes on one machine (issue 13), sharing
 * the SQLite file (WAL, busy timeout, IMMEDIATE transactions) and Redis:
 *
 *   bot      updates in (Telegram polling or webhook, WhatsApp, the local web chat, operator
 *            HTTP), the engine, replies through the outbound scheduler; hands rows due now to the
 *            queue itself (the planner's kick: Redis + SQLite, no planning). It also owns the
 *            channels that live in one process (`processBound`: the web chat, whatsapp-web.js)
 *            and runs their delivery workers.
 *   planner  the minutely tick (planning pass, enqueue, queue rebuild, retention, missing dates,
 *            relay escalation), the broadcast runner, the nudge runner and the look for rows dead
 *            workers left in `sending`: everything periodic that writes rows.
 *   worker   the BullMQ delivery workers of the channels any process can send on (Telegram with
 *            its token, without polling; the WhatsApp Cloud API). Several may run: BullMQ spreads
 *            the jobs, its limiter (per queue, in Redis) and the send budget (SQLite) are shared.
 *
 * No role (`npm start`) is all three in one process, as before.
 */
import type { Config } from './config.js';
import type { ChannelModule } from './bot/channel-module.js';
import { CHANNEL_MODULES } from './bot/channels.js';
import type { ChannelName } from './core/messages.js';

export const ROLES = ['bot', 'planner', 'worker'] as const;
export type Role = (typeof ROLES)[number];
export type Roles = ReadonlySet<Role>;

export const ALL_ROLES: Roles = new Set(ROLES);

export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleError';
  }
}

/** `bot`, `planner`, `worker`, or several joined by commas; absent: all of them. */
export function parseRoles(value: string | undefined): Roles {
  if (value === undefined) return ALL_ROLES;
  const names = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (!names.length || unknown.length) throw new RoleError(`unknown role ${unknown.map((r) => `"${r}"`).join(', ') || '""'}: use ${ROLES.join(', ')} (or several, comma-separated; none runs everything)`);
  return new Set(names as Role[]);
}

export const describeRoles = (roles: Roles): string => (roles.size === ROLES.length ? 'all' : [...roles].join(','));

/** The module that serves each channel with this configuration (the first enabled one, as app.ts picks them). */
export function channelModules(config: Config): Map<ChannelName, ChannelModule> {
  const out = new Map<ChannelName, ChannelModule>();
  for (const module of CHANNEL_MODULES) if (module.enabled(config, new Set(out.keys()))) out.set(module.channel, module);
  return out;
}

/** Whether this process builds the module: the bot role builds every one, other roles only those that can send from any process. */
export const buildsChannel = (roles: Roles, module: Pick<ChannelModule, 'processBound'>): boolean => roles.has('bot') || !module.processBound;

/** Whether a channel's delivery worker runs in this process: a process-bound channel's with the bot role, the others' with the worker role. */
export const deliversChannel = (roles: Roles, module: Pick<ChannelModule, 'processBound'>): boolean => (module.processBound ? roles.has('bot') : roles.has('worker'));

/** The channels whose delivery workers run here, of those built (by module id, as app.ts keeps them). */
export function deliveryChannels(roles: Roles, running: ReadonlyMap<ChannelName, { id: string }>): Set<ChannelName> {
  const byId = new Map(CHANNEL_MODULES.map((m) => [m.id, m]));
  return new Set([...running].filter(([, r]) => deliversChannel(roles, byId.get(r.id) ?? {})).map(([name]) => name));
}

/**
 * Refuses a configuration that cannot work in these roles, with what to change. (A second
 * whatsapp-web.js session is refused by the session's lock at start, whichever roles ran it.)
 */
export function checkRoles(config: Config, roles: Roles): void {
  const problems: string[] = [];
  const background = [...roles].filter((r) => r !== 'bot');
  if (background.length && !config.nurture.enabled) {
    problems.push(`NURTURE_ENABLED=false turns reminders off, so the ${background.join(' and ')} role has nothing to do: set it to true, or do not start this role`);
  }
  if (roles.has('worker') && !roles.has('bot')) {
    const modules = [...channelModules(config).values()];
    if (!modules.some((m) => !m.processBound)) {
      problems.push(
        'the worker role sends on Telegram (TELEGRAM_BOT_TOKEN) and the WhatsApp Cloud API (WHATSAPP_CLOUD_*), and neither is configured; ' +
          'the local web chat and whatsapp-web.js are sent by the bot role itself',
      );
    }
  }
  if (problems.length) throw new RoleError(`Cannot run the ${describeRoles(roles)} role:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
