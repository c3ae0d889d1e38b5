/**
 * The templates for an operator (`npm run cli -- whatsapp templates …`): what to submit to Meta,
 * in the shape of the template management API (POST /{WABA-ID}/message_templates, one object per
 * template and language), and what Meta says about them (GET /{WABA-ID}/message_templates),
 * compared with the config's `approved` marks and texts. No personal data anywhere here.
 *
 * Shape (developers.facebook.com/docs/whatsapp/business-management-api/message-templates):
 *   { name, language, category, components: [
 *       { type: 'BODY', text, example: { body_text: [[sample, …]] } },      (example only with variables)
 *       { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text }, …] } ] } (only with buttons)
 */
import type { TemplateLanguage, WhatsAppTemplates } from './cloud.templates.js';

/**
 * The template languages Meta offers (developers.facebook.com/documentation/business-messaging/
 * whatsapp/templates/supported-languages; checked against its mirror on support.wati.io, 2026).
 * Somali (so) and Tigrinya (ti) are not among them: those parents get the stand-in in their
 * second language or Dutch, and the full message in their own language once they reply.
 * Recheck the list before concluding a language cannot be submitted.
 */
export const META_TEMPLATE_LANGUAGES: ReadonlySet<string> = new Set(
  'af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr ka de el gu ha he hi hu id ga it ja kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT pa ro ru sr sk sl es es_AR es_ES es_MX sw sv ta te th tr uk ur uz vi zu'.split(' '),
);

export interface TemplateComponent {
  type: 'BODY' | 'BUTTONS';
  text?: string;
  example?: { body_text: string[][] };
  buttons?: { type: 'QUICK_REPLY'; text: string }[];
}

/** One POST /{WABA-ID}/message_templates body. */
export interface TemplateSubmission {
  name: string;
  language: string;
  category: 'UTILITY' | 'MARKETING';
  components: TemplateComponent[];
}

/** One template in one language, as the config has it (a per-child variant is its own row). */
export interface TemplateRow {
  key: string;
  name: string;
  lang: string;
  code: string;
  category: 'UTILITY' | 'MARKETING';
  variant: boolean;
  standIn: boolean;
  entry: TemplateLanguage;
  body: string;
  buttons: string[];
}

/** Stand-ins first (nothing without a template of its own reaches a parent until they are approved), then the file's order. */
export function templateRows(templates: WhatsAppTemplates, langs?: readonly string[]): TemplateRow[] {
  const entries = Object.entries(templates).sort(([, a], [, b]) => Number(b.waiting) - Number(a.waiting));
  const rows: TemplateRow[] = [];
  for (const [key, t] of entries) {
    for (const [lang, entry] of Object.entries(t.languages)) {
      if (langs && !langs.includes(lang)) continue;
      const base = { key, lang, code: entry.code, category: t.category, standIn: t.waiting, entry };
      rows.push({ ...base, name: t.name, variant: false, body: entry.body, buttons: entry.buttons });
      if (t.perChild && entry.perChild) rows.push({ ...base, name: t.perChild, variant: true, body: entry.perChild.body, buttons: [entry.perChild.button] });
    }
  }
  return rows;
}

export function submissionOf(row: TemplateRow): TemplateSubmission {
  const components: TemplateComponent[] = [{ type: 'BODY', text: row.body, ...(row.entry.samples.length ? { example: { body_text: [row.entry.samples] } } : {}) }];
  if (row.buttons.length) components.push({ type: 'BUTTONS', buttons: row.buttons.map((text) => ({ type: 'QUICK_REPLY', text })) });
  return { name: row.name, language: row.code, category: row.category, components };
}

export interface RemoteTemplate {
  name: string;
  language: string;
  status: string;
  category?: string;
  body?: string;
}

export interface GraphAccount {
  baseUrl: string;
  apiVersion: string;
  wabaId: string;
  token: string;
  timeoutMs?: number;
}

/** GET /{WABA-ID}/message_templates, every page. Throws with Meta's error code and message (never the token). */
export async function listRemoteTemplates(account: GraphAccount): Promise<RemoteTemplate[]> {
  const out: RemoteTemplate[] = [];
  let next: string | undefined = `${account.baseUrl.replace(/\/+$/, '')}/${account.apiVersion}/${account.wabaId}/message_templates?fields=name,language,status,category,components&limit=100`;
  for (let page = 0; next && page < 100; page++) {
    const res = await fetch(next, { headers: { Authorization: `Bearer ${account.token}` }, signal: AbortSignal.timeout(account.timeoutMs ?? 15_000) });
    const body = (await res.json().catch(() => null)) as { data?: unknown; paging?: { next?: unknown }; error?: { code?: unknown; message?: unknown } } | null;
    if (!res.ok || !body || !Array.isArray(body.data)) {
      throw new Error(`WhatsApp answered ${res.status}${body?.error ? `: (#${String(body.error.code)}) ${String(body.error.message)}` : ''}`);
    }
    for (const t of body.data as Record<string, unknown>[]) {
      if (typeof t.name !== 'string' || typeof t.language !== 'string' || typeof t.status !== 'string') continue;
      const components = Array.isArray(t.components) ? (t.components as Record<string, unknown>[]) : [];
      const bodyText = components.find((c) => c.type === 'BODY')?.text;
      out.push({ name: t.name, language: t.language, status: t.status, ...(typeof t.category === 'string' ? { category: t.category } : {}), ...(typeof bodyText === 'string' ? { body: bodyText } : {}) });
    }
    next = typeof body.paging?.next === 'string' ? body.paging.next : undefined;
  }
  return out;
}

export interface Difference {
  name: string;
  lang: string;
  what: string;
}

/** Where the config and WhatsApp disagree: an approval marked but not there, one there but not marked, another text. */
export function compareWithRemote(rows: readonly TemplateRow[], remote: readonly RemoteTemplate[]): Difference[] {
  const at = new Map(remote.map((r) => [`${r.name}|${r.language}`, r]));
  const out: Difference[] = [];
  for (const row of rows) {
    const r = at.get(`${row.name}|${row.code}`);
    const approvedThere = r?.status === 'APPROVED';
    if (row.entry.approved && !approvedThere) out.push({ name: row.name, lang: row.lang, what: `approved in the config, but WhatsApp says ${r ? r.status : 'it does not exist'}: submit it, or set approved: false` });
    if (!row.entry.approved && approvedThere) out.push({ name: row.name, lang: row.lang, what: 'approved at WhatsApp, not in the config: set approved: true once its text matches' });
    if (r?.body !== undefined && r.body !== row.body) out.push({ name: row.name, lang: row.lang, what: "the body differs from WhatsApp's: the bot fills WhatsApp's, make the config say the same" });
  }
  return out;
}

/** A template's state in the config, one letter: A approved, S ready to submit (checked), D draft (check first). */
export const configState = (entry: TemplateLanguage | undefined): string => (!entry ? '-' : entry.approved ? 'A' : entry.review === 'native' ? 'S' : 'D');

/** WhatsApp's status, one letter: A approved, P pending (or in appeal), R rejected, X paused or disabled, - absent. */
export function remoteState(status: string | undefined): string {
  if (!status) return '-';
  if (status === 'APPROVED') return 'A';
  if (status === 'PENDING' || status === 'IN_APPEAL' || status === 'PENDING_DELETION') return 'P';
  if (status === 'REJECTED') return 'R';
  return 'X';
}
