/**
 * `npm run cli -- whatsapp templates export | status | draft`, in-process, against the shipped
 * templates file and the fake Graph API (which checks a template submission the way Meta does and
 * lists the account's templates page by page).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadTemplates } from '../../src/bot/whatsapp/cloud/cloud.templates.js';
import { runCliOn } from '../support/cli-run.js';
import { startFakeGraphApi, type FakeGraphApi } from '../support/fake-graph-api.js';

const NOW = '2027-03-01T10:00:00Z';
let dir: string;
let api: FakeGraphApi;
const shipped = loadTemplates();
const MAIN = Object.keys(shipped).length;
const VARIANTS = Object.values(shipped).filter((t) => t.perChild).length;

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliOn(join(dir, 'cli.db'), dir, ['whatsapp', 'templates', ...args], NOW, env);
const withAccount = (): NodeJS.ProcessEnv => ({
  WHATSAPP_CLOUD_TOKEN: api.token,
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: api.phoneNumberId,
  WHATSAPP_CLOUD_APP_SECRET: 'secret',
  WHATSAPP_CLOUD_VERIFY_TOKEN: 'verify',
  WHATSAPP_CLOUD_BASE_URL: api.baseUrl,
  WHATSAPP_WABA_ID: api.wabaId,
});

/**
 * POST /{WABA-ID}/message_templates as Meta documents it (developers.facebook.com/docs/whatsapp/
 * business-management-api/message-templates): name, language, category, components with one BODY
 * (text ≤ 1,024, example.body_text = one list with a sample per variable) and quick-reply BUTTONS (≤ 25).
 */
const documented = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
    components: z
      .array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('BODY'), text: z.string().min(1).max(1024), example: z.object({ body_text: z.array(z.array(z.string().min(1))).length(1) }).strict().optional() }).strict(),
          z.object({ type: z.literal('BUTTONS'), buttons: z.array(z.object({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }).strict()).min(1).max(10) }).strict(),
        ]),
      )
      .min(1),
  })
  .strict()
  .superRefine((t, ctx) => {
    const body = t.components.find((c) => c.type === 'BODY');
    const variables = [...(body?.text ?? '').matchAll(/\{\{(\d+)\}\}/g)].length;
    if ((body?.example?.body_text[0]?.length ?? 0) !== variables) ctx.addIssue({ code: 'custom', message: `${t.name}: ${variables} variables, samples do not match` });
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-cli-wa-'));
  api = await startFakeGraphApi();
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('whatsapp templates export', () => {
  it('writes every Turkish template (and per-child variant) in the shape Meta takes; the fake Graph API, checking like Meta, accepts each', async () => {
    const res = await cli(['export', '--lang', 'tr']);
    expect(res.code).toBe(0);
    const list = JSON.parse(res.out) as unknown[];
    expect(list).toHaveLength(MAIN + VARIANTS);
    for (const t of list) expect(() => documented.parse(t)).not.toThrow();
    expect(list[0]).toEqual({
      name: 'ouderbrug_message_waiting',
      language: 'tr',
      category: 'MARKETING',
      components: [
        { type: 'BODY', text: 'Size yeni bir mesaj var, gönderen: {{1}}. Okumak ister misiniz? O zaman düğmeye dokunun.', example: { body_text: [['Samen naar De Regenboog']] } },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Mesajı oku' }] },
      ],
    });
    expect(list).toContainEqual(expect.objectContaining({ name: 'ouderbrug_deadline_reminder_children', language: 'tr', components: [expect.objectContaining({ text: expect.stringMatching(/«Göster» düğmesine dokunun\.$/) }), { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Göster' }] }] }));
    expect(list).toContainEqual({ name: 'ouderbrug_phase_1_started', language: 'tr', category: 'MARKETING', components: [{ type: 'BODY', text: expect.any(String), example: { body_text: [['Samen naar De Regenboog']] } }] });
    expect(res.err).toContain('Drafts (tr): a native speaker must check these texts before they are submitted.');
    // Submitted as the operator would: one POST per object.
    for (const t of list) {
      const posted = await fetch(`${api.baseUrl}/${api.apiVersion}/${api.wabaId}/message_templates`, { method: 'POST', headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(t) });
      expect(posted.status, JSON.stringify(await posted.clone().json())).toBe(200);
      expect(await posted.json()).toMatchObject({ status: 'PENDING' });
    }
    expect(api.templates.filter((t) => t.language === 'tr')).toHaveLength(MAIN + VARIANTS);
    api.templates.length = 0;
  });

  it('by default every language Meta offers, Somali and Tigrinya left out (and said); --unapproved --out writes only what to submit', async () => {
    const all = await cli(['export']);
    const list = JSON.parse(all.out) as { language: string }[];
    expect(new Set(list.map((t) => t.language))).toEqual(new Set(['nl', 'en', 'ar', 'bg', 'pl', 'pt_PT', 'tr', 'uk']));
    expect(list).toHaveLength(8 * (MAIN + VARIANTS));
    expect(all.err).toContain('Left out: so, ti (not a template language Meta offers; --lang so exports it anyway).');
    const todo = await cli(['export', '--unapproved', '--lang', 'nl,en', '--out', 'todo.json']);
    expect(todo.code).toBe(0);
    expect(todo.out).toBe('');
    const written = JSON.parse(readFileSync(join(dir, 'todo.json'), 'utf8')) as { name: string; language: string }[];
    expect(written.map((t) => `${t.name} ${t.language}`).sort()).toEqual(['ouderbrug_answer_waiting en', 'ouderbrug_answer_waiting nl', 'ouderbrug_message_waiting en', 'ouderbrug_message_waiting nl']);
    expect(todo.err).toContain('4 templates in 2 languages written to todo.json.');
  });

  it('exports Somali when asked by name; Meta (the fake) refuses the language', async () => {
    const res = await cli(['export', '--lang', 'so']);
    const [first] = JSON.parse(res.out) as unknown[];
    expect(first).toMatchObject({ name: 'ouderbrug_message_waiting', language: 'so' });
    const posted = await fetch(`${api.baseUrl}/${api.apiVersion}/${api.wabaId}/message_templates`, { method: 'POST', headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(first) });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('language so');
  });

  it('refuses a language without templates, kindly', async () => {
    const res = await cli(['export', '--lang', 'fr']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('error: no templates in fr (languages: nl, en, ar, bg, pl, pt, so, ti, tr, uk)');
  });
});

describe('whatsapp templates status', () => {
  it('lists per template and language what is approved, what is ready and what is a draft, and what must be submitted', async () => {
    const res = await cli(['status']);
    expect(res.code).toBe(0);
    const line = (name: string) => res.out.split('\n').find((l) => l.startsWith(`${name} `))!.split(/\s+/);
    expect(line('ouderbrug_deadline_reminder')).toEqual(['ouderbrug_deadline_reminder', 'UTILITY', 'A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D']);
    expect(line('ouderbrug_message_waiting')).toEqual(['ouderbrug_message_waiting', '*', 'MARKETING', 'S', 'S', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D']);
    expect(res.out).toContain(`Approved: nl ${MAIN - 2}/${MAIN}, en ${MAIN - 2}/${MAIN}, ar 0/${MAIN}`);
    expect(res.out).toContain('Drafts: the texts in ar, bg, pl, pt, so, ti, tr, uk were written from the bot\'s own translations and are not checked by a native speaker yet.');
    expect(res.out).toContain('No stand-in is approved yet');
    expect(res.out).toContain('  nl: 2 (checked, ready), first ouderbrug_message_waiting, ouderbrug_answer_waiting');
    expect(res.out).toContain(`  tr: ${MAIN + VARIANTS} (drafts: have them checked first)`);
    expect(res.out).toContain('WhatsApp itself was not asked');
  });

  it('with the business account configured: what WhatsApp says (every page), and where the config disagrees', async () => {
    const nl = shipped['nurture:deadline14']!.languages.nl!;
    api.templates.push(
      { id: '1', name: 'ouderbrug_deadline_reminder', language: 'nl', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: nl.body }] },
      { id: '2', name: 'ouderbrug_deadline_reminder', language: 'tr', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: shipped['nurture:deadline14']!.languages.tr!.body }] },
      { id: '3', name: 'ouderbrug_newsletter', language: 'nl', category: 'MARKETING', status: 'APPROVED', components: [{ type: 'BODY', text: 'Nieuwsbrief: {{1}} {{2}} einde' }] },
      { id: '4', name: 'ouderbrug_message_waiting', language: 'nl', category: 'MARKETING', status: 'PENDING', components: [] },
      // Other templates of the account: the list takes more than one page.
      ...Array.from({ length: 130 }, (_, i) => ({ id: `x${i}`, name: `other_${i}`, language: 'en', category: 'UTILITY', status: 'APPROVED' as const, components: [] })),
    );
    const res = await cli(['status', '--lang', 'nl,tr'], withAccount());
    expect(res.code).toBe(0);
    expect(res.out).toContain('At WhatsApp (GET /{WABA-ID}/message_templates, 134 templates)');
    const remote = res.out.slice(res.out.indexOf('At WhatsApp'));
    const row = (name: string) => remote.split('\n').find((l) => l.startsWith(`${name} `))!.trim().split(/\s+/);
    expect(row('ouderbrug_deadline_reminder')).toEqual(['ouderbrug_deadline_reminder', 'A', 'A']);
    expect(row('ouderbrug_message_waiting')).toEqual(['ouderbrug_message_waiting', 'P', '-']);
    expect(row('ouderbrug_toddler_groups')).toEqual(['ouderbrug_toddler_groups', '-', '-']);
    expect(res.out).toContain('ouderbrug_deadline_reminder (tr): approved at WhatsApp, not in the config: set approved: true once its text matches');
    expect(res.out).toContain("ouderbrug_newsletter (nl): the body differs from WhatsApp's");
    expect(res.out).toContain('ouderbrug_toddler_groups (nl): approved in the config, but WhatsApp says it does not exist');
    expect(res.out).not.toContain('ouderbrug_deadline_reminder (nl)');
    // Two pages were asked for.
    expect(api.requests.filter((r) => r.path.endsWith('/message_templates') && r.method === 'GET')).toHaveLength(2);
    api.templates.length = 0;
  });

  it('says so when WhatsApp refuses the token', async () => {
    const res = await cli(['status'], { ...withAccount(), WHATSAPP_CLOUD_TOKEN: 'EAAexpired' });
    expect(res.code).toBe(1);
    expect(res.err).toContain('error: could not list the templates at WhatsApp: WhatsApp answered 401: (#190) Error validating access token');
    expect(res.err).not.toContain('EAAexpired');
  });
});

describe('whatsapp templates draft', () => {
  it('drafts a language from the locale files, never approved', async () => {
    const res = await cli(['draft', '--lang', 'pl']);
    expect(res.code).toBe(0);
    const drafted = JSON.parse(res.out) as Record<string, { approved: boolean; review: string; body: string; buttons: string[] }>;
    expect(Object.keys(drafted).sort()).toEqual(Object.keys(shipped).sort());
    expect(drafted['nurture:deadline14']).toEqual({ ...shipped['nurture:deadline14']!.languages.pl, approved: false, review: 'draft' });
    expect(res.err).toContain(`Drafted ${MAIN} templates in pl`);
  });
});
