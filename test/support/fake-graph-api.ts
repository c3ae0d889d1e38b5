/**
 * A fake WhatsApp Cloud API (Graph API) on 127.0.0.1 for tests: the channel talks real HTTP
 * to it, exactly as to graph.facebook.com. It checks what WhatsApp checks (Bearer token,
 * messaging_product, reply buttons ≤ 3 with titles ≤ 20, list rows ≤ 10 with titles ≤ 24,
 * text ≤ 4096) so a test fails where production would, answers like the Graph API
 * (`{ messaging_product, contacts, messages: [{ id: 'wamid…' }] }`), and can answer errors
 * (`{ error: { code, message, error_subcode } }`) with any HTTP status.
 *
 * Media (issue 11): uploads (POST /{phone-number-id}/media, multipart with messaging_product,
 * type and a non-empty file of a type and size WhatsApp takes, else 131053), audio/image/document
 * messages by the id of an upload (refused when unknown or expired, an image that is not an
 * image, audio with a caption, a caption over 1,024); files people sent (`inboundMedia`) are
 * served like Meta does: GET /{media-id} → a URL → the bytes, both with the bearer token.
 *
 * Also: helpers that build and sign webhook requests the way Meta does.
 */
import { createHash, createHmac } from 'node:crypto';
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
  /** The WhatsApp Business Account: GET and POST /{wabaId}/message_templates. */
  readonly wabaId: string;
  /** The account's message templates with their review status (submitted by POST, or pushed by a test). */
  readonly templates: FakeGraphTemplate[];
  /** Every request, in order (refused ones too). */
  readonly requests: GraphRequest[];
  /** Message bodies accepted for this recipient, in order. */
  sent(to: string): Record<string, unknown>[];
  /** Every file the fake holds, by media id: uploaded by the bot, or sent by a person (`inboundMedia`). */
  readonly media: ReadonlyMap<string, FakeGraphMedia>;
  /** A file a person sent (a webhook names it by the returned media id). */
  inboundMedia(data: Buffer, mimeType: string, filename?: string): string;
  /** WhatsApp forgot this upload (30 days passed): sends by its id are refused. */
  expireMedia(id: string): void;
  /** The next `times` /messages calls fail with this error; with `after`, that many succeed first. */
  failNext(failure: GraphFailure, times?: number, after?: number): void;
  waitForMessages(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

export interface FakeGraphMedia {
  id: string;
  data: Buffer;
  mimeType: string;
  filename: string;
  sha256: string;
  /** Uploaded by the bot (false: sent by a person). */
  uploaded: boolean;
  expired?: boolean;
}

const MB = 1024 * 1024;
/** Types and sizes WhatsApp takes for uploads (supported media types). */
const MEDIA_RULES: { test: RegExp; max: number; kind: 'audio' | 'image' | 'document' | 'sticker' }[] = [
  { test: /^audio\/(aac|amr|mpeg|mp4|ogg)$/, max: 16 * MB, kind: 'audio' },
  { test: /^image\/(jpeg|png)$/, max: 5 * MB, kind: 'image' },
  { test: /^image\/webp$/, max: 0.5 * MB, kind: 'sticker' },
  { test: /^(text\/plain|application\/pdf|application\/msword|application\/vnd\.ms-(excel|powerpoint)|application\/vnd\.openxmlformats-officedocument\.[a-z.]+)$/, max: 100 * MB, kind: 'document' },
];

const obj = (v: unknown): Body => (typeof v === 'object' && v !== null ? (v as Body) : {});
const len = (v: unknown): number => (typeof v === 'string' ? [...v].length : 0);

export async function startFakeGraphApi(opts: { token?: string; phoneNumberId?: string; apiVersion?: string; wabaId?: string } = {}): Promise<FakeGraphApi> {
  const token = opts.token ?? 'EAAtest-token';
  const phoneNumberId = opts.phoneNumberId ?? '109876543210';
  const apiVersion = opts.apiVersion ?? 'v21.0';
  const wabaId = opts.wabaId ?? '102290129340398';
  const templates: FakeGraphTemplate[] = [];
  const requests: GraphRequest[] = [];
  const accepted: Body[] = [];
  /** One entry per coming /messages call: null succeeds, a failure fails. */
  const failures: (GraphFailure | null)[] = [];
  let nextId = 1;
  const media = new Map<string, FakeGraphMedia>();
  const addMedia = (data: Buffer, mimeType: string, filename: string, uploaded: boolean): FakeGraphMedia => {
    const entry = { id: `media-${nextId++}`, data, mimeType, filename, sha256: createHash('sha256').update(data).digest('hex'), uploaded };
    media.set(entry.id, entry);
    return entry;
  };
  let baseUrl = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer): Promise<void> {
    {
      const raw = bytes.toString('utf8');
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
        const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': contentType ?? '' }, body: bytes }).formData();
        const file = form.get('file');
        const type = String(form.get('type') ?? '');
        if (form.get('messaging_product') !== 'whatsapp' || typeof file === 'string' || file === null) return error(400, 100, '(#100) Invalid parameter');
        const data = Buffer.from(await file.arrayBuffer());
        const rule = MEDIA_RULES.find((r) => r.test.test(type));
        if (!rule || data.length === 0 || data.length > rule.max) return error(400, 131053, `(#131053) Media upload error: ${!rule ? `unsupported type ${type}` : 'file size'}`);
        return reply(200, { id: addMedia(data, type, file.name, true).id });
      }
      const lookup = new RegExp(`^/${apiVersion}/(media-\\d+)$`).exec(path);
      if (lookup && req.method === 'GET') {
        const m = media.get(lookup[1] ?? '');
        if (!m || m.expired) return error(400, 100, `Unsupported get request. Object with ID '${lookup[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, { error_subcode: 33 });
        return reply(200, { messaging_product: 'whatsapp', url: `${baseUrl}/download/${m.id}?ext=1`, mime_type: m.mimeType, sha256: m.sha256, file_size: m.data.length, id: m.id });
      }
      const download = /^\/download\/(media-\d+)$/.exec(path);
      if (download && req.method === 'GET') {
        const m = media.get(download[1] ?? '');
        if (!m) return error(404, 100, 'Not found');
        res.writeHead(200, { 'content-type': m.mimeType, 'content-length': String(m.data.length) });
        res.end(m.data);
        return;
      }
      if (path === `/${apiVersion}/${wabaId}/message_templates`) {
        const answer = messageTemplates(req.method ?? '', new URL(req.url ?? '/', baseUrl), body, templates);
        return reply(answer.status, answer.body);
      }
      if (path !== `/${apiVersion}/${phoneNumberId}/messages` || req.method !== 'POST') return error(404, 803, 'Unknown path components');
      const failure = failures.shift();
      if (failure) {
        const extra = failure.error_subcode !== undefined ? { error_subcode: failure.error_subcode } : {};
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
        return reply(failure.status, { error: { message: failure.message ?? `(#${failure.code}) failure`, type: 'OAuthException', code: failure.code, ...extra, fbtrace_id: 'Atest' } }, headers);
      }
      const problem = validate(body) ?? validateMedia(body, media);
      if (problem) return error(400, 100, `(#100) Invalid parameter: ${problem}`);
      accepted.push(body);
      const to = String(body.to);
      reply(200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: `wamid.TEST${String(nextId++).padStart(6, '0')}` }] });
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiVersion,
    phoneNumberId,
    token,
    wabaId,
    templates,
    requests,
    sent: (to) => accepted.filter((b) => b.to === to),
    media,
    inboundMedia: (data, mimeType, filename) => addMedia(data, mimeType, filename ?? '', false).id,
    expireMedia(id) {
      const m = media.get(id);
      if (m) m.expired = true;
    },
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
    case 'audio':
    case 'image':
      return typeof obj(body[body.type]).id === 'string' ? null : `${body.type}.id`;
    case 'interactive':
      return validateInteractive(obj(body.interactive));
    default:
      return 'type';
  }
}

/** A media message: by the id of a file the bot uploaded (not expired), of the right kind, with a caption only where WhatsApp allows one. */
function validateMedia(body: Body, media: Map<string, FakeGraphMedia>): string | null {
  if (body.type !== 'audio' && body.type !== 'image' && body.type !== 'document') return null;
  const m = obj(body[body.type]);
  if (m.link !== undefined) return `${body.type}.link (the fake takes uploaded ids only)`;
  const file = media.get(String(m.id));
  if (!file || !file.uploaded || file.expired) return `${body.type}.id is not a valid uploaded media id`;
  const kind = MEDIA_RULES.find((r) => r.test.test(file.mimeType))?.kind;
  if (body.type === 'audio' && kind !== 'audio') return 'audio.id is not audio';
  if (body.type === 'image' && kind !== 'image') return 'image.id is not an image';
  if (body.type === 'audio' && m.caption !== undefined) return 'audio.caption is not supported';
  if (len(m.caption) > 1024) return `${body.type}.caption length`;
  return null;
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

// ── message templates (the WhatsApp Business Management API) ──────────────────────────────

export interface FakeGraphTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
  components: Body[];
}

/**
 * Template languages Meta offers (its list of supported languages: developers.facebook.com/documentation/
 * business-messaging/whatsapp/templates/supported-languages, as mirrored by support.wati.io): a
 * code outside it is refused, as Meta does. Somali and Tigrinya are not in it.
 */
const TEMPLATE_LANGUAGES = new Set(
  'af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr ka de el gu ha he hi hu id ga it ja kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT pa ro ru sr sk sl es es_AR es_ES es_MX sw sv ta te th tr uk ur uz vi zu'.split(' '),
);
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;

/** GET lists the account's templates a page at a time (`limit`, cursor `after`); POST creates one after checking it as Meta does. */
function messageTemplates(method: string, url: URL, body: Body, templates: FakeGraphTemplate[]): { status: number; body: unknown } {
  const fail = (message: string, subcode?: number) => ({ status: 400, body: { error: { message: `(#100) Invalid parameter: ${message}`, type: 'OAuthException', code: 100, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'Atest' } } });
  if (method === 'GET') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 25) || 25, 1), 1000);
    const from = Number(Buffer.from(url.searchParams.get('after') ?? 'MA==', 'base64').toString('utf8')) || 0;
    const data = templates.slice(from, from + limit);
    const after = Buffer.from(String(from + data.length)).toString('base64');
    const next = new URL(url);
    next.searchParams.set('after', after);
    return { status: 200, body: { data, paging: { cursors: { before: Buffer.from(String(from)).toString('base64'), after }, ...(from + data.length < templates.length ? { next: next.toString() } : {}) } } };
  }
  if (method !== 'POST') return { status: 404, body: { error: { message: 'Unknown method', code: 803 } } };
  const problem = validateTemplateCreate(body);
  if (problem) return fail(problem);
  if (templates.some((t) => t.name === body.name && t.language === body.language)) return fail('Content in this language already exists', 2388024);
  const created: FakeGraphTemplate = { id: String(900000 + templates.length), name: String(body.name), language: String(body.language), category: String(body.category), status: 'PENDING', components: (body.components as Body[]).map((c) => ({ ...c })) };
  templates.push(created);
  return { status: 200, body: { id: created.id, status: created.status, category: created.category } };
}

/** What Meta refuses in POST /{WABA-ID}/message_templates (positional parameters, quick replies). */
export function validateTemplateCreate(body: Body): string | null {
  const allowed = new Set(['name', 'language', 'category', 'components', 'parameter_format', 'allow_category_change']);
  const extra = Object.keys(body).find((k) => !allowed.has(k));
  if (extra) return `unknown field ${extra}`;
  if (typeof body.name !== 'string' || !TEMPLATE_NAME.test(body.name)) return 'name';
  if (typeof body.language !== 'string' || !TEMPLATE_LANGUAGES.has(body.language)) return `language ${String(body.language)}`;
  if (!['MARKETING', 'UTILITY', 'AUTHENTICATION'].includes(String(body.category))) return 'category';
  const components = Array.isArray(body.components) ? body.components.map(obj) : [];
  const bodies = components.filter((c) => c.type === 'BODY');
  if (bodies.length !== 1) return 'components: exactly one BODY';
  if (components.some((c) => !['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(String(c.type)))) return 'components.type';
  const text = bodies[0]!.text;
  if (typeof text !== 'string' || len(text) === 0 || len(text) > 1024) return 'BODY.text length (1 to 1024)';
  const vars = [...text.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
  if (vars.some((v, i) => v !== i + 1)) return 'BODY.text: variables must be {{1}}, {{2}}, … in order';
  const bare = text.replace(/^[\u200f\s]+/, '').trimEnd();
  if (vars.length && (bare.startsWith('{{') || bare.endsWith('}}'))) return 'BODY.text: variables can\'t be at the start or end';
  const example = obj(bodies[0]!.example).body_text;
  if (vars.length) {
    if (!Array.isArray(example) || example.length !== 1 || !Array.isArray(example[0]) || example[0].length !== vars.length || example[0].some((v) => typeof v !== 'string' || v === '')) return 'BODY.example.body_text: one sample per variable';
  } else if (example !== undefined) return 'BODY.example without variables';
  for (const c of components.filter((c) => c.type === 'HEADER' || c.type === 'FOOTER')) if (len(c.text) === 0 || len(c.text) > 60) return `${String(c.type)}.text length (1 to 60)`;
  const buttons = components.filter((c) => c.type === 'BUTTONS');
  if (buttons.length > 1) return 'components: at most one BUTTONS';
  if (buttons[0]) {
    const list = Array.isArray(buttons[0].buttons) ? buttons[0].buttons.map(obj) : [];
    if (list.length === 0 || list.length > 10) return 'BUTTONS.buttons count (1 to 10)';
    if (list.some((b) => b.type !== 'QUICK_REPLY' || len(b.text) === 0 || len(b.text) > 25)) return 'BUTTONS: QUICK_REPLY text (1 to 25)';
  }
  return null;
}
