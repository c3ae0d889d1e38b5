/**
 * A fake WhatsApp Cloud API (Graph API) on 127.0.0.1 for tests: the channel talks real HTTP
 * to it, exactly as to graph.facebook.com. It checks what WhatsApp checks (Bearer token,
 * messaging_product, reply buttons ≤ 3 with titles ≤ 20, list rows ≤ 10 with titles ≤ 24,
 * text ≤ 4096) so a test fails where production would, answers like the Graph API
 * (`{ messaging_product, contacts, messages: [{ id: 'wamid…' }] }`), and can answer errors
 * (`{ error: { code, message, error_subcode } }`) with any HTTP status.
 *
 * Also: helpers that build and sign webhook requests the way Meta does.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** Parsed JSON for /messages; the raw text for a multipart media upload. */
  body: Record<string, unknown>;
  raw: string;
}

export interface GraphFailure {
  status: number;
  code: number;
  message?: string;
  error_subcode?: number;
  retryAfter?: number;
}

export interface FakeGraphApi {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly phoneNumberId: string;
  readonly token: string;
  /** Every request, in order (refused ones too). */
  readonly requests: GraphRequest[];
  /** Message bodies accepted for this recipient, in order. */
  sent(to: string): Record<string, unknown>[];
  /** The next `times` /messages calls fail with this error; with `after`, that many succeed first. */
  failNext(failure: GraphFailure, times?: number, after?: number): void;
  waitForMessages(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

const obj = (v: unknown): Body => (typeof v === 'object' && v !== null ? (v as Body) : {});
const len = (v: unknown): number => (typeof v === 'string' ? [...v].length : 0);

export async function startFakeGraphApi(opts: { token?: string; phoneNumberId?: string; apiVersion?: string } = {}): Promise<FakeGraphApi> {
  const token = opts.token ?? 'EAAtest-token';
  const phoneNumberId = opts.phoneNumberId ?? '109876543210';
  const apiVersion = opts.apiVersion ?? 'v21.0';
  const requests: GraphRequest[] = [];
  const accepted: Body[] = [];
  /** One entry per coming /messages call: null succeeds, a failure fails. */
  const failures: (GraphFailure | null)[] = [];
  let nextId = 1;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'];
      let body: Body = {};
      if (contentType?.startsWith('application/json')) {
        try {
          body = obj(JSON.parse(raw));
        } catch {
          body = {};
        }
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, contentType, body, raw });
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      const error = (status: number, code: number, message: string, extra: Body = {}) => reply(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'Atest', ...extra } });
      if (req.headers.authorization !== `Bearer ${token}`) return error(401, 190, 'Error validating access token: Session has expired');
      if (path === `/${apiVersion}/${phoneNumberId}/media` && req.method === 'POST') {
        if (!raw.includes('name="messaging_product"') || !raw.includes('name="file"')) return error(400, 100, 'Invalid parameter');
        return reply(200, { id: `media-${nextId++}` });
      }
      if (path !== `/${apiVersion}/${phoneNumberId}/messages` || req.method !== 'POST') return error(404, 803, 'Unknown path components');
      const failure = failures.shift();
      if (failure) {
        const extra = failure.error_subcode !== undefined ? { error_subcode: failure.error_subcode } : {};
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
        return reply(failure.status, { error: { message: failure.message ?? `(#${failure.code}) failure`, type: 'OAuthException', code: failure.code, ...extra, fbtrace_id: 'Atest' } }, headers);
      }
      const problem = validate(body);
      if (problem) return error(400, 100, `(#100) Invalid parameter: ${problem}`);
      accepted.push(body);
      const to = String(body.to);
      reply(200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: `wamid.TEST${String(nextId++).padStart(6, '0')}` }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiVersion,
    phoneNumberId,
    token,
    requests,
    sent: (to) => accepted.filter((b) => b.to === to),
    failNext(failure, times = 1, after = 0) {
      for (let i = 0; i < after; i++) failures.push(null);
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    async waitForMessages(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (accepted.length < count) throw new Error(`expected ${count} messages, got ${accepted.length}`);
      return accepted.slice(0, count);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What WhatsApp refuses with (#100) Invalid parameter. */
function validate(body: Body): string | null {
  if (body.messaging_product !== 'whatsapp') return 'messaging_product';
  if (typeof body.to !== 'string' || !/^\d{5,20}$/.test(body.to)) return 'to';
  switch (body.type) {
    case 'text':
      return len(obj(body.text).body) === 0 || len(obj(body.text).body) > 4096 ? 'text.body length' : null;
    case 'template': {
      const t = obj(body.template);
      return typeof t.name !== 'string' || typeof obj(t.language).code !== 'string' ? 'template' : null;
    }
    case 'document':
      return typeof obj(body.document).id === 'string' ? null : 'document.id';
    case 'interactive':
      return validateInteractive(obj(body.interactive));
    default:
      return 'type';
  }
}

function validateInteractive(i: Body): string | null {
  const bodyText = obj(i.body).text;
  const action = obj(i.action);
  if (i.type === 'button') {
    const buttons = Array.isArray(action.buttons) ? action.buttons.map(obj) : [];
    if (len(bodyText) === 0 || len(bodyText) > 1024) return 'interactive.body.text length';
    if (buttons.length === 0 || buttons.length > 3) return 'buttons count';
    const titles = buttons.map((b) => obj(b.reply).title);
    if (titles.some((t) => len(t) === 0 || len(t) > 20)) return 'button title length';
    if (new Set(titles).size !== titles.length) return 'button titles must be unique';
    return null;
  }
  if (i.type === 'list') {
    const rows = (Array.isArray(action.sections) ? action.sections.map(obj) : []).flatMap((s) => (Array.isArray(s.rows) ? s.rows.map(obj) : []));
    if (len(bodyText) === 0 || len(bodyText) > 4096) return 'interactive.body.text length';
    if (len(action.button) === 0 || len(action.button) > 20) return 'action.button length';
    if (rows.length === 0 || rows.length > 10) return 'rows count';
    if (rows.some((r) => len(r.title) === 0 || len(r.title) > 24 || len(r.description) > 72 || len(r.id) > 200)) return 'row title/description length';
    return null;
  }
  return 'interactive.type';
}

// ── webhooks as Meta sends them ──────────────────────────────────────────────────────────

export function signBody(raw: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export function webhookBody(phoneNumberId: string, value: { messages?: unknown[]; statuses?: unknown[]; contacts?: unknown[] }): Body {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-1',
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '3197000000000', phone_number_id: phoneNumberId }, ...value } }],
      },
    ],
  };
}

const seconds = (at: Date): string => String(Math.floor(at.getTime() / 1000));

export const inbound = {
  text: (from: string, id: string, body: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'text', text: { body } }),
  button: (from: string, id: string, replyId: string, title: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: replyId, title } } }),
  list: (from: string, id: string, rowId: string, title: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: rowId, title, description: '' } } }),
  quickReply: (from: string, id: string, payload: string, text: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'button', button: { payload, text } }),
  voice: (from: string, id: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'audio', audio: { id: 'media-voice', mime_type: 'audio/ogg; codecs=opus', voice: true } }),
  of: (type: string, from: string, id: string, at: Date) => ({ from, id, timestamp: seconds(at), type, [type]: { id: 'media-x' } }),
  image: (from: string, id: string, at: Date, image: Body) => ({ from, id, timestamp: seconds(at), type: 'image', image }),
  document: (from: string, id: string, at: Date, document: Body) => ({ from, id, timestamp: seconds(at), type: 'document', document }),
  /** A text quoting one of our messages (WhatsApp's "reply"): `context.id` is its wamid. */
  reply: (from: string, id: string, body: string, quoted: string, at: Date) => ({ from, id, timestamp: seconds(at), type: 'text', text: { body }, context: { from: '3197000000000', id: quoted } }),
};

export function statusEvent(messageId: string, status: string, at: Date, recipient = '31612345678', errorCode?: number): Body {
  return {
    id: messageId,
    status,
    timestamp: seconds(at),
    recipient_id: recipient,
    ...(errorCode !== undefined ? { errors: [{ code: errorCode, title: 'failure' }] } : {}),
  };
}

/** POSTs a webhook; `signature` overrides (null: no header at all). */
export async function postWebhook(url: string, body: unknown, appSecret: string, signature?: string | null): Promise<{ status: number; text: string }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = signature === undefined ? signBody(raw, appSecret) : signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  return { status: res.status, text: await res.text() };
}
