/**
 * The whatsapp-web.js session's lifecycle: start() begins one initialize() in the background
 * (a browser start can take a minute, or hang) and returns; `qr` shows the login code (terminal
 * and qr()), `ready` means up, `disconnected` means down and a new session with backoff
 * (5 s doubling up to 5 min) until the next `ready`. A watchdog starts a new session when
 * neither `ready` nor a QR code follows a start in time (a frozen start, LIBRARIES.md §2).
 *
 * States: off → starting (QR shown) → up ⇄ down → off.
 */
import type { Clock } from '../../../core/clock.js';
import { describeError } from '../../../core/dispatcher.js';
import type { ChannelHealth, Logger } from '../../../core/ports.js';
import { qrForTerminal } from './whatsapp-web.qr.js';
import type { WhatsAppWebTransport } from './whatsapp-web.transport.js';

export interface LifecycleOptions {
  transport: WhatsAppWebTransport;
  logger: Logger;
  clock: Clock;
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
  readyTimeoutMs?: number;
  terminal?: { write(text: string): unknown };
  /** Called on every `ready` (the first one and after each reconnect). */
  onReady(): void;
}

export interface Lifecycle {
  start(): void;
  /** Marks the channel off, runs `drain` (sends in flight give up quickly), then ends the session. */
  stop(drain?: () => Promise<void>): Promise<void>;
  /** A function, not a field: the state changes while callers await. */
  isUp(): boolean;
  state(): ChannelHealth['state'];
  detail(): string | undefined;
  qr(): string | null;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { transport, logger, clock } = options;
  const firstDelay = options.retry?.firstDelayMs ?? 5000;
  const maxDelay = options.retry?.maxDelayMs ?? 300_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const terminal = options.terminal ?? process.stderr;
  let state: ChannelHealth['state'] = 'off';
  let detail: string | undefined;
  let qrCode: string | null = null;
  let running: AbortController | null = null;
  let reconnecting = false;
  let watchdog: NodeJS.Timeout | null = null;

  const isUp = (): boolean => state === 'up';
  const setState = (next: ChannelHealth['state'], why?: string): void => {
    state = next;
    detail = why;
  };

  const onQr = (qr: string): void => {
    qrCode = qr;
    armWatchdog();
    if (!isUp()) setState('starting', 'waiting for the QR code to be scanned (GET /whatsapp/qr)');
    logger.info({ channel: 'whatsapp' }, 'whatsapp-web: link the phone: scan the QR code in the terminal or on http://localhost/whatsapp/qr');
    qrForTerminal(qr).then(
      (art) => terminal.write(`\nWhatsApp login — on the bot's phone: Linked devices → Link a device\n${art}\n`),
      (err: unknown) => logger.warn({ channel: 'whatsapp', err: describeError(err) }, 'QR code rendering failed'),
    );
  };

  const onReady = (): void => {
    qrCode = null;
    clearWatchdog();
    setState('up');
    options.onReady();
  };

  const onDisconnected = (reason: string): void => {
    if (!running) return;
    qrCode = null;
    clearWatchdog();
    setState('down', `disconnected: ${reason}`);
    logger.warn({ channel: 'whatsapp', reason }, 'whatsapp-web disconnected; reconnecting');
    void reconnect();
  };

  function armWatchdog(): void {
    clearWatchdog();
    watchdog = setTimeout(() => {
      if (!running || isUp()) return;
      setState('down', 'no ready or QR code in time');
      logger.error({ channel: 'whatsapp', waitedMs: readyTimeoutMs }, 'whatsapp-web did not become ready; starting a new session (re-scan the QR code if one appears)');
      void reconnect();
    }, readyTimeoutMs);
    watchdog.unref();
  }

  function clearWatchdog(): void {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
  }

  /** One initialize(); true when it did not throw (`ready` or `qr` follow). */
  async function attempt(): Promise<boolean> {
    try {
      armWatchdog();
      await transport.initialize();
      return true;
    } catch (err) {
      clearWatchdog();
      if (running) setState('down', `start failed: ${describeError(err).message.slice(0, 120)}`);
      logger.warn({ channel: 'whatsapp', err: describeError(err) }, 'whatsapp-web start failed');
      return false;
    }
  }

  async function reconnect(): Promise<void> {
    if (reconnecting) return;
    reconnecting = true;
    try {
      for (let failures = 0; running && !isUp(); failures++) {
        const signal = running.signal;
        await Promise.race([clock.sleep(Math.min(maxDelay, firstDelay * 2 ** Math.min(failures, 20))), aborted(signal)]);
        if (signal.aborted || isUp()) return; // stopped, or the session came back by itself
        await transport.destroy().catch(() => undefined);
        if (await attempt()) return;
      }
    } finally {
      reconnecting = false;
    }
  }

  return {
    isUp,
    state: () => state,
    detail: () => detail,
    qr: () => qrCode,
    start() {
      if (running) return;
      running = new AbortController();
      setState('starting');
      transport.on('qr', onQr);
      transport.on('ready', onReady);
      transport.on('disconnected', onDisconnected);
      void attempt().then((ok) => (ok || !running ? undefined : reconnect()));
    },
    async stop(drain) {
      if (!running) return;
      running.abort();
      running = null;
      clearWatchdog();
      transport.off('qr', onQr);
      transport.off('ready', onReady);
      transport.off('disconnected', onDisconnected);
      qrCode = null;
      setState('off');
      await drain?.();
      await transport.destroy().catch((err: unknown) => logger.warn({ channel: 'whatsapp', err: describeError(err) }, 'whatsapp-web stop failed'));
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
