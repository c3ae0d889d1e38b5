/**
 * A loopback "messenger" for delivery-worker processes (test/support/delivery-worker.process.ts
 * POSTs {chatId, text} to it): it records each message when it arrives and answers 200 after a
 * fixed latency, so a worker's throughput is bounded by its concurrency ÷ latency, not by the CPU.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sink {
  port: number;
  /** Chat ids in arrival order (a chat twice is a duplicate). */
  readonly hits: { chatId: string; at: number }[];
  /** Requests arrived and not yet answered. */
  open(): number;
  onHit(listener: (count: number) => void): void;
  close(): Promise<void>;
}

export async function startSink(latencyMs: number): Promise<Sink> {
  const hits: { chatId: string; at: number }[] = [];
  const listeners: ((count: number) => void)[] = [];
  let open = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ chatId: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chatId: string }).chatId, at: performance.now() });
      open++;
      for (const l of listeners) l(hits.length);
      setTimeout(() => {
        open--;
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    open: () => open,
    onHit: (l) => void listeners.push(l),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
