/**
 * The Graph API client for the WhatsApp Business Cloud API: plain `fetch` against
 * `${baseUrl}/${apiVersion}/${phoneNumberId}/messages` with a Bearer token, so tests and
 * self-hosted proxies point `baseUrl` elsewhere. Every call resolves (never throws) with the
 * message id or a classified failure. Also builds interactive messages within WhatsApp's
 * limits (≤ 3 reply buttons of ≤ 20 characters; ≤ 10 list rows of ≤ 24, a list button of
 * ≤ 20); `interactiveFor` answers null when the choices do not fit, and the adapter falls
 * back to the numbered text.
 */
import type { Attachment } from '../../../core/messages.js';
import { miniHtmlToPlain } from '../../../core/render.js';
import type { FlatChoice } from '../whatsapp.text.js';
import { classifyGraphError, classifyNetworkError, type CloudFailure } from './cloud.errors.js';

export interface GraphApiOptions {
  baseUrl: string;
  apiVersion: string;
  phoneNumberId: string;
  token: string;
  timeoutMs?: number;
}

export type GraphResult = { ok: true; id: string } | ({ ok: false } & CloudFailure);

export interface TemplateSend {
  name: string;
  languageCode: string;
  bodyParams: string[];
  /** Payloads of the template's quick-reply buttons, in order (set at send time). */
  quickReplies?: string[];
}

export type InteractivePayload = Record<string, unknown>;

export interface GraphApi {
  sendText(to: string, body: string): Promise<GraphResult>;
  sendTemplate(to: string, template: TemplateSend): Promise<GraphResult>;
  sendInteractive(to: string, interactive: InteractivePayload): Promise<GraphResult>;
  /** Uploads the file, then sends it as a document. */
  sendDocument(to: string, attachment: Attachment): Promise<GraphResult>;
  /** Uploads a file to WhatsApp (POST /{phone-number-id}/media); the id is valid for 30 days. */
  uploadMedia(file: { data: Buffer; mimeType: string; filename: string }): Promise<GraphResult>;
  /** A message of an uploaded file: audio (no caption), image or document (caption ≤ 1,024). */
  sendMedia(to: string, type: 'audio' | 'image' | 'document', media: { id: string; caption?: string; filename?: string }): Promise<GraphResult>;
  /** Where to download a file a person sent (GET /{media-id}): a short-lived URL, its type and size. */
  mediaInfo(mediaId: string): Promise<({ ok: true; url: string; mimeType?: string; bytes?: number } | ({ ok: false } & CloudFailure))>;
  /** The bearer header, for downloading from a media URL. */
  authHeader(): Record<string, string>;
}

const MAX_TEMPLATE_PARAM = 1000;

export const LIMITS = { buttons: 3, buttonTitle: 20, buttonBody: 1024, rows: 10, rowTitle: 24, rowDescription: 72, listButton: 20, listBody: 4096, id: 200 } as const;

/** Document types WhatsApp accepts; anything else (text/calendar) travels as text/plain with its own file name. */
const DOCUMENT_TYPES = new Set(['text/plain', 'application/pdf', 'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);

export function createGraphApi(options: GraphApiOptions): GraphApi {
  const graph = `${options.baseUrl.replace(/\/+$/, '')}/${options.apiVersion}`;
  const root = `${graph}/${options.phoneNumberId}`;
  const auth = { Authorization: `Bearer ${options.token}` };
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function call(path: string, body: string | FormData, json: boolean): Promise<{ status: number; body: unknown; retryAfter: string | null } | CloudFailure> {
    try {
      const res = await fetch(`${root}/${path}`, {
        method: 'POST',
        headers: json ? { ...auth, 'Content-Type': 'application/json' } : auth,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : null;
      } catch {
        parsed = null;
      }
      return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      return classifyNetworkError(err);
    }
  }

  async function post(payload: Record<string, unknown>): Promise<GraphResult> {
    const res = await call('messages', JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', ...payload }), true);
    if ('outcome' in res) return { ok: false, ...res };
    const id = messageIdOf(res.body);
    if (res.status >= 200 && res.status < 300 && id) return { ok: true, id };
    return { ok: false, ...classifyGraphError(res.status, res.body, res.retryAfter) };
  }

  return {
    sendText: (to, body) => post({ to, type: 'text', text: { body, preview_url: false } }),
    sendTemplate: (to, t) => post({ to, type: 'template', template: templatePayload(t) }),
    sendInteractive: (to, interactive) => post({ to, type: 'interactive', interactive }),
    async sendDocument(to, attachment) {
      const mime = DOCUMENT_TYPES.has(attachment.mimeType) ? attachment.mimeType : 'text/plain';
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('type', mime);
      form.append('file', new Blob([attachment.content], { type: mime }), attachment.filename);
      const res = await call('media', form, false);
      if ('outcome' in res) return { ok: false, ...res };
      const mediaId = (res.body as { id?: unknown } | null)?.id;
      if (res.status >= 300 || typeof mediaId !== 'string') return { ok: false, ...classifyGraphError(res.status, res.body, res.retryAfter) };
      return post({ to, type: 'document', document: { id: mediaId, filename: attachment.filename } });
    },
    async uploadMedia(file) {
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('type', file.mimeType);
      form.append('file', new Blob([file.data], { type: file.mimeType }), file.filename);
      const res = await call('media', form, false);
      if ('outcome' in res) return { ok: false, ...res };
      const mediaId = (res.body as { id?: unknown } | null)?.id;
      if (res.status >= 300 || typeof mediaId !== 'string') return { ok: false, ...classifyGraphError(res.status, res.body, res.retryAfter) };
      return { ok: true, id: mediaId };
    },
    sendMedia: (to, type, media) => post({ to, type, [type]: { id: media.id, ...(media.caption && type !== 'audio' ? { caption: media.caption } : {}), ...(media.filename && type === 'document' ? { filename: media.filename } : {}) } }),
    async mediaInfo(mediaId) {
      try {
        const res = await fetch(`${graph}/${encodeURIComponent(mediaId)}?phone_number_id=${encodeURIComponent(options.phoneNumberId)}`, { headers: auth, signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json().catch(() => null)) as { url?: unknown; mime_type?: unknown; file_size?: unknown } | null;
        if (!res.ok || typeof body?.url !== 'string') return { ok: false, ...classifyGraphError(res.status, body, res.headers.get('retry-after')) };
        const bytes = Number(body.file_size);
        return { ok: true, url: body.url, ...(typeof body.mime_type === 'string' ? { mimeType: body.mime_type } : {}), ...(Number.isFinite(bytes) && bytes > 0 ? { bytes } : {}) };
      } catch (err) {
        return { ok: false, ...classifyNetworkError(err) };
      }
    },
    authHeader: () => ({ ...auth }),
  };
}

function templatePayload(t: TemplateSend): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (t.bodyParams.length) components.push({ type: 'body', parameters: t.bodyParams.map((text) => ({ type: 'text', text })) });
  for (const [index, payload] of (t.quickReplies ?? []).entries()) {
    components.push({ type: 'button', sub_type: 'quick_reply', index: String(index), parameters: [{ type: 'payload', payload }] });
  }
  return { name: t.name, language: { code: t.languageCode }, ...(components.length ? { components } : {}) };
}

function messageIdOf(body: unknown): string | undefined {
  const messages = (body as { messages?: unknown } | null)?.messages;
  const first: unknown = Array.isArray(messages) ? messages[0] : undefined;
  const id = (first as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id ? id : undefined;
}

/** Cuts at a word boundary when one is near, with an ellipsis: "Ik heb mijn kind…". */
export function cutTitle(label: string, max: number): string {
  const chars = [...label.trim()];
  if (chars.length <= max) return chars.join('');
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${(space >= max / 2 ? head.slice(0, space) : head).trimEnd()}…`;
}

const length = (s: string): number => [...s].length;

/**
 * Reply buttons for up to 3 choices (unique titles after cutting), else a list for up to 10
 * (the full label as the row's description when the title had to be cut), else null.
 */
export function interactiveFor(body: string, choices: FlatChoice[], listButton: string): InteractivePayload | null {
  if (choices.length === 0 || !body.trim() || choices.some((c) => !c.value || c.value.length > LIMITS.id)) return null;
  if (new Set(choices.map((c) => c.value)).size !== choices.length) return null;
  const titles = choices.map((c) => cutTitle(c.label, LIMITS.buttonTitle));
  if (choices.length <= LIMITS.buttons && new Set(titles).size === titles.length && length(body) <= LIMITS.buttonBody) {
    return {
      type: 'button',
      body: { text: body },
      action: { buttons: choices.map((c, i) => ({ type: 'reply', reply: { id: c.value, title: titles[i] } })) },
    };
  }
  if (choices.length <= LIMITS.rows && length(body) <= LIMITS.listBody) {
    const rows = choices.map((c) => {
      const title = cutTitle(c.label, LIMITS.rowTitle);
      return { id: c.value, title, ...(title !== c.label.trim() ? { description: cutTitle(c.label, LIMITS.rowDescription) } : {}) };
    });
    return { type: 'list', body: { text: body }, action: { button: cutTitle(listButton, LIMITS.listButton), sections: [{ rows }] } };
  }
  return null;
}

/** The body limit of the interactive message these choices would become (for splitting long texts). */
export function interactiveBodyLimit(count: number): number {
  return count <= LIMITS.buttons ? LIMITS.buttonBody : LIMITS.listBody;
}

/**
 * The longest end of `text` within `limit` that starts at a paragraph (else line, else word)
 * boundary: it goes with the buttons, the head is sent before them as text.
 */
export function tailWithin(text: string, limit: number): { head: string; tail: string } {
  if (text.length <= limit) return { head: '', tail: text };
  const start = text.length - limit;
  const window = text.slice(start);
  const at = [window.indexOf('\n\n'), window.indexOf('\n'), window.indexOf(' ')].find((i) => i >= 0);
  const cut = at === undefined ? start : start + at;
  return { head: text.slice(0, cut).trimEnd(), tail: text.slice(cut).trimStart() };
}

/** WhatsApp refuses template parameters with line breaks, tabs or more than 4 spaces in a row. */
export function flatParam(value: string): string {
  return miniHtmlToPlain(value).replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** A parameter as sent: flat, never empty, at most 1,000 characters (planTemplate sends a stand-in before a body passes 1,024). */
export function templateParam(value: string): string {
  const flat = flatParam(value);
  const chars = [...flat];
  const cut = chars.length > MAX_TEMPLATE_PARAM ? `${chars.slice(0, MAX_TEMPLATE_PARAM - 1).join('')}…` : flat;
  return cut || '–';
}
