/**
 * The only place that reads the environment. Every key is validated at start; a bad
 * configuration stops the process with every problem listed at once.
 */
import { z } from 'zod';
import { localChatPolicy } from './http/local-chat.policy.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());

const schema = z
  .object({
    TELEGRAM_BOT_TOKEN: z.preprocess(emptyToUndefined, z.string().regex(/^\d+:[\w-]{20,}$/, 'looks like 123456:ABC… from @BotFather').optional()),
    TELEGRAM_BOT_USERNAME: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_]{5,32}$/, '5–32 characters A-Z a-z 0-9 _, without @').optional()),
    TELEGRAM_API_ROOT: z.preprocess(emptyToUndefined, z.url().default('https://api.telegram.org')),
    TELEGRAM_WEBHOOK_URL: optionalUrl,
    TELEGRAM_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, '16–256 characters A-Z a-z 0-9 _ -').optional()),
    DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default('./data/ouderbrug.db')),
    HTTP_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
    HTTP_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
    DEFAULT_LANGUAGE: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z]{2,3}$/).default('nl')),
    BOT_TIMEZONE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default('Europe/Amsterdam')
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'not a known IANA time zone'),
    ),
    LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
    LOCALES_DIR: optionalString,
    LOCAL_CHAT_LINKING: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
    REDIS_URL: z.preprocess(emptyToUndefined, z.string().regex(/^rediss?:\/\//, 'looks like redis://host:6379').default('redis://127.0.0.1:6379')),
    REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, '1–40 characters A-Z a-z 0-9 _ -').default('ouderbrug')),
    NURTURE_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('true')),
    REMINDER_RULES_PATH: optionalString,
    MUNICIPALITIES_PATH: optionalString,
    QUIET_HOURS: z.preprocess(emptyToUndefined, z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'like 20:00-08:30').default('20:00-08:30')),
    FREQUENCY_CAP: z.preprocess(emptyToUndefined, z.string().regex(/^\d{1,2}\/\d{1,2}$/, 'messages/days, like 3/7').default('3/7')),
    OUTREACH_COOLDOWN_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(365).default(120)),
    PLANNER_REBUILD_THREADS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(8).optional()),
    TELEGRAM_RATE_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(30).default(28)),
    TELEGRAM_REPLY_RATE_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).optional()),
    TELEGRAM_CHAT_BURST: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100).default(2)),
    TELEGRAM_CHAT_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().positive().max(100).default(1)),
    REPLY_MAX_AGE_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(24 * 60).default(10)),
    DASHBOARD_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(12, 'at least 12 characters').optional()),
    LOCAL_CHAT_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
    LOCAL_CHAT_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(12, 'at least 12 characters').optional()),
    WHATSAPP_QR_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(12, 'at least 12 characters').optional()),
    WHATSAPP_WEB_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
    WHATSAPP_WEB_SESSION_DIR: z.preprocess(emptyToUndefined, z.string().default('./data/whatsapp-session')),
    WHATSAPP_WEB_CHROMIUM_PATH: z.preprocess(emptyToUndefined, z.string().default('/usr/bin/chromium')),
    WHATSAPP_WEB_MIN_DELAY_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(3000)),
    WHATSAPP_WEB_MAX_DELAY_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(6000)),
    WHATSAPP_WEB_DAILY_CAP: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(10_000).default(200)),
    WHATSAPP_CLOUD_TOKEN: optionalString,
    WHATSAPP_CLOUD_PHONE_NUMBER_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d{5,30}$/, 'the numeric phone number id from Meta').optional()),
    WHATSAPP_CLOUD_APP_SECRET: optionalString,
    WHATSAPP_CLOUD_VERIFY_TOKEN: optionalString,
    WHATSAPP_CLOUD_API_VERSION: z.preprocess(emptyToUndefined, z.string().regex(/^v\d+\.\d+$/, 'like v21.0').default('v21.0')),
    WHATSAPP_CLOUD_BASE_URL: z.preprocess(emptyToUndefined, z.url().default('https://graph.facebook.com')),
    WHATSAPP_CLOUD_RATE_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).default(80)),
    WHATSAPP_CLOUD_TEMPLATES_PATH: optionalString,
    WHATSAPP_WABA_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d{5,30}$/, 'the numeric WhatsApp Business Account id from Meta').optional()),
    LIBRETRANSLATE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'an http(s) address, like http://127.0.0.1:5000' }).optional()),
    LIBRETRANSLATE_API_KEY: optionalString,
    LIBRETRANSLATE_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(500).max(120_000).default(15_000)),
  })
  .superRefine((c, ctx) => {
    if (c.TELEGRAM_WEBHOOK_URL && !c.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'required when TELEGRAM_WEBHOOK_URL is set' });
    }
    if (c.WHATSAPP_WEB_MIN_DELAY_MS > c.WHATSAPP_WEB_MAX_DELAY_MS) {
      ctx.addIssue({ code: 'custom', path: ['WHATSAPP_WEB_MIN_DELAY_MS'], message: 'must not be larger than WHATSAPP_WEB_MAX_DELAY_MS' });
    }
    const cloud = ['WHATSAPP_CLOUD_TOKEN', 'WHATSAPP_CLOUD_PHONE_NUMBER_ID', 'WHATSAPP_CLOUD_APP_SECRET', 'WHATSAPP_CLOUD_VERIFY_TOKEN'] as const;
    if (cloud.some((k) => c[k]) && !cloud.every((k) => c[k])) {
      for (const k of cloud) if (!c[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'required for the WhatsApp Cloud API (all four or none)' });
    }
    if (c.TELEGRAM_WEBHOOK_URL && !c.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_BOT_TOKEN'], message: 'required when TELEGRAM_WEBHOOK_URL is set' });
    }
  });

export interface Config {
  telegram: {
    token?: string;
    username?: string;
    apiRoot: string;
    webhookUrl?: string;
    webhookSecret?: string;
    /** The bot's whole budget (every message counts), replies' own budget if any, and a chat's burst. */
    limits: { perSecond: number; repliesPerSecond?: number; chatBurst: number; chatPerSecond: number };
  };
  /** A committed reply that waited longer than this is expired (the parent gets an apology and the current question). */
  replyMaxAgeMs: number;
  databasePath: string;
  http: { port: number; host: string };
  defaultLanguage: string;
  timeZone: string;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  localesDir?: string;
  /** `/link <code>` may be redeemed from the local web chat (a try-out: off unless set). */
  localChatLinking: boolean;
  nurture: {
    enabled: boolean;
    redisUrl: string;
    redisPrefix: string;
    rulesPath?: string;
    municipalitiesPath?: string;
    quietHours: { start: string; end: string };
    cap: { max: number; days: number };
    /** The outreach ladder's cool-down for initiatives that set none (src/domain/outreach-ladder.ts). */
    outreachCooldownDays: number;
    /** Planner threads for a full rebuild (unset: one core left for replies, at most two: src/jobs/rebuild-pool.ts). */
    rebuildThreads?: number;
    dashboardPassword?: string;
  };
  whatsappWeb: { enabled: boolean; sessionDir: string; chromiumPath: string; minDelayMs: number; maxDelayMs: number; dailyCap: number; qrPassword?: string };
  /** `enabled` undefined: served only when no messenger is configured (src/http/local-chat.policy.ts). */
  localChat: { enabled?: boolean; password?: string };
  /** Present only when all four credentials are set. */
  whatsappCloud?: { token: string; phoneNumberId: string; appSecret: string; verifyToken: string; apiVersion: string; baseUrl: string; ratePerSecond: number; templatesPath?: string };
  /** The WhatsApp Business Account, for `whatsapp templates status` (WHATSAPP_WABA_ID and WHATSAPP_CLOUD_TOKEN set). */
  whatsappAccount?: { wabaId: string; token: string; apiVersion: string; baseUrl: string; templatesPath?: string };
  /** Machine-translated drafts (ADR 0009): present only when LIBRETRANSLATE_URL is set (off by default). */
  translation?: { url: string; apiKey?: string; timeoutMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const c = parsed.data;
  const config: Config = {
    telegram: {
      token: c.TELEGRAM_BOT_TOKEN,
      username: c.TELEGRAM_BOT_USERNAME,
      apiRoot: c.TELEGRAM_API_ROOT,
      webhookUrl: c.TELEGRAM_WEBHOOK_URL,
      webhookSecret: c.TELEGRAM_WEBHOOK_SECRET,
      limits: { perSecond: c.TELEGRAM_RATE_PER_SECOND, repliesPerSecond: c.TELEGRAM_REPLY_RATE_PER_SECOND, chatBurst: c.TELEGRAM_CHAT_BURST, chatPerSecond: c.TELEGRAM_CHAT_PER_SECOND },
    },
    replyMaxAgeMs: c.REPLY_MAX_AGE_MINUTES * 60_000,
    databasePath: c.DATABASE_PATH,
    http: { port: c.HTTP_PORT, host: c.HTTP_HOST },
    defaultLanguage: c.DEFAULT_LANGUAGE,
    timeZone: c.BOT_TIMEZONE,
    logLevel: c.LOG_LEVEL,
    localesDir: c.LOCALES_DIR,
    localChatLinking: c.LOCAL_CHAT_LINKING === 'true',
    nurture: {
      enabled: c.NURTURE_ENABLED === 'true',
      redisUrl: c.REDIS_URL,
      redisPrefix: c.REDIS_PREFIX,
      rulesPath: c.REMINDER_RULES_PATH,
      municipalitiesPath: c.MUNICIPALITIES_PATH,
      quietHours: { start: c.QUIET_HOURS.slice(0, 5), end: c.QUIET_HOURS.slice(6) },
      cap: { max: Number(c.FREQUENCY_CAP.split('/')[0]), days: Number(c.FREQUENCY_CAP.split('/')[1]) },
      outreachCooldownDays: c.OUTREACH_COOLDOWN_DAYS,
      rebuildThreads: c.PLANNER_REBUILD_THREADS,
      dashboardPassword: c.DASHBOARD_PASSWORD,
    },
    whatsappWeb: {
      enabled: c.WHATSAPP_WEB_ENABLED === 'true',
      sessionDir: c.WHATSAPP_WEB_SESSION_DIR,
      chromiumPath: c.WHATSAPP_WEB_CHROMIUM_PATH,
      minDelayMs: c.WHATSAPP_WEB_MIN_DELAY_MS,
      maxDelayMs: c.WHATSAPP_WEB_MAX_DELAY_MS,
      dailyCap: c.WHATSAPP_WEB_DAILY_CAP,
      qrPassword: c.WHATSAPP_QR_PASSWORD,
    },
    localChat: { enabled: c.LOCAL_CHAT_ENABLED === undefined ? undefined : c.LOCAL_CHAT_ENABLED === 'true', password: c.LOCAL_CHAT_PASSWORD },
    whatsappCloud:
      c.WHATSAPP_CLOUD_TOKEN && c.WHATSAPP_CLOUD_PHONE_NUMBER_ID && c.WHATSAPP_CLOUD_APP_SECRET && c.WHATSAPP_CLOUD_VERIFY_TOKEN
        ? {
            token: c.WHATSAPP_CLOUD_TOKEN,
            phoneNumberId: c.WHATSAPP_CLOUD_PHONE_NUMBER_ID,
            appSecret: c.WHATSAPP_CLOUD_APP_SECRET,
            verifyToken: c.WHATSAPP_CLOUD_VERIFY_TOKEN,
            apiVersion: c.WHATSAPP_CLOUD_API_VERSION,
            baseUrl: c.WHATSAPP_CLOUD_BASE_URL,
            ratePerSecond: c.WHATSAPP_CLOUD_RATE_PER_SECOND,
            templatesPath: c.WHATSAPP_CLOUD_TEMPLATES_PATH,
          }
        : undefined,
    whatsappAccount:
      c.WHATSAPP_WABA_ID && c.WHATSAPP_CLOUD_TOKEN
        ? { wabaId: c.WHATSAPP_WABA_ID, token: c.WHATSAPP_CLOUD_TOKEN, apiVersion: c.WHATSAPP_CLOUD_API_VERSION, baseUrl: c.WHATSAPP_CLOUD_BASE_URL, templatesPath: c.WHATSAPP_CLOUD_TEMPLATES_PATH }
        : undefined,
    translation: c.LIBRETRANSLATE_URL ? { url: c.LIBRETRANSLATE_URL, apiKey: c.LIBRETRANSLATE_API_KEY, timeoutMs: c.LIBRETRANSLATE_TIMEOUT_MS } : undefined,
  };
  const localChat = localChatPolicy(config);
  if (localChat.problem) throw new ConfigError([localChat.problem]);
  return config;
}
