/**
 * Pure-flow tests of the broadcast conversation: the router's `step` with a FlowContext built
 * here, an in-memory Directory and a small stand-in for the broadcast store that applies the
 * flow's commands the way the contract (src/domain/broadcast.types.ts) describes them. Replies
 * are rendered with the real locales, so the tests read what an author reads.
 */
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { ChannelName, InboundContent, OutboundMessage } from '../../src/core/messages.js';
import { miniHtmlToPlain, renderReply } from '../../src/core/render.js';
import type { AudienceCount, AudienceFilter, BroadcastCommand, BroadcastReads, BroadcastView } from '../../src/domain/broadcast.types.js';
import type { Directory, Effect, FlowContext, FlowResult, InitiativeView, MembershipInfo, PersonView, UpcomingEvent } from '../../src/flows/flow.types.js';
import { step } from '../../src/flows/router.js';
import { PRIVACY_NOTICE_VERSION } from '../../src/flows/onboarding.flow.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);

export const A = 1;
export const B = 2;
export const C = 3;

export function initiativeView(id: number, name: string, phase: InitiativeView['phase'] = 2): InitiativeView {
  return { id, code: `i${id}`, name, school: `School ${id}`, neighbourhood: 'Oost', contact: 'info@example.org', municipality: 'Amsterdam', phase };
}

/** The broadcast store as the flow sees it, applying commands as the database side does. */
export class FakeBroadcasts implements BroadcastReads {
  readonly items = new Map<number, BroadcastView & { key: string }>();
  readonly required = new Set<number>();
  readonly draftRequests: { broadcastId: number; languages: string[] }[] = [];
  readonly counted: AudienceFilter[] = [];
  translation = false;
  count: (initiativeId: number, audience: AudienceFilter) => AudienceCount = () => ({
    total: 37,
    byLanguage: [
      { lang: 'nl', count: 20 },
      { lang: 'tr', count: 12 },
      { lang: 'ar', count: 'fewer-than-5' },
    ],
  });
  /** Who is an ambassador (not a coordinator) where: their broadcasts need approval when the initiative asks. */
  rolesOf: (personId: number) => MembershipInfo[] = () => [];
  private nextId = 1;
  private nextMedia = 100;

  audienceCount(initiativeId: number, audience: AudienceFilter): AudienceCount {
    this.counted.push(audience);
    return this.count(initiativeId, audience);
  }
  byId(id: number) {
    return this.items.get(id) ?? null;
  }
  draftByKey(authorId: number, draftKey: string) {
    return [...this.items.values()].reverse().find((b) => b.authorId === authorId && b.key === draftKey) ?? null;
  }
  pendingApproval(initiativeId: number) {
    return [...this.items.values()].filter((b) => b.initiativeId === initiativeId && b.status === 'pending');
  }
  activeOf(authorId: number) {
    return [...this.items.values()].filter((b) => b.authorId === authorId && ['scheduled', 'sending', 'paused'].includes(b.status));
  }
  activeOn(initiativeId: number) {
    return [...this.items.values()].filter((b) => b.initiativeId === initiativeId && ['scheduled', 'sending', 'paused'].includes(b.status));
  }
  requiresApproval(initiativeId: number) {
    return this.required.has(initiativeId);
  }
  translationAvailable() {
    return this.translation;
  }
  /** The last draft request as the translation job left it (undefined: the read is not offered). */
  drafts: { finished: boolean; failed: string[] } | undefined = undefined;
  draftsState() {
    return this.drafts ?? { finished: false, failed: [] };
  }

  /** A broadcast made outside the flow (another author, another initiative). */
  add(b: Partial<BroadcastView> & { initiativeId: number; authorId: number | null }): BroadcastView {
    const id = this.nextId++;
    const view = { id, status: 'draft' as const, audience: {}, versions: [{ lang: 'nl', text: 'Hallo ouders', media: null, machine: false, approved: true }], sendAt: null, needsApproval: false, createdAt: new Date(0), key: '', ...b };
    this.items.set(id, view);
    return view;
  }

  apply(authorId: number, cmd: BroadcastCommand, now: Date): void {
    if (cmd.op === 'create') {
      const id = this.nextId++;
      this.items.set(id, { id, initiativeId: cmd.initiativeId, authorId, status: 'draft', audience: {}, versions: [], sendAt: null, needsApproval: false, createdAt: now, key: cmd.draftKey });
      return;
    }
    if (cmd.op === 'requireApproval') {
      if (cmd.required) this.required.add(cmd.initiativeId);
      else this.required.delete(cmd.initiativeId);
      return;
    }
    const b = this.items.get(cmd.broadcastId);
    if (!b) throw new Error(`no broadcast ${cmd.broadcastId}`);
    const upsert = (lang: string) => {
      let v = b.versions.find((x) => x.lang === lang);
      if (!v) {
        v = { lang, text: null, media: null, machine: false, approved: true };
        b.versions.push(v);
      }
      return v;
    };
    switch (cmd.op) {
      case 'audience':
        b.audience = cmd.audience;
        return;
      case 'version': {
        const v = upsert(cmd.lang);
        v.text = cmd.text;
        if (cmd.media !== undefined) v.media = cmd.media;
        v.machine = cmd.machine ?? false;
        v.approved = !v.machine;
        return;
      }
      case 'versionMedia': {
        const v = upsert(cmd.lang);
        v.media = { mediaId: this.nextMedia++, type: cmd.media.type };
        if (cmd.caption) v.text = cmd.caption;
        v.machine = false;
        v.approved = true;
        return;
      }
      case 'approveVersion':
        upsert(cmd.lang).approved = true;
        return;
      case 'removeVersion':
        b.versions = b.versions.filter((v) => v.lang !== cmd.lang);
        return;
      case 'timing':
        b.sendAt = cmd.sendAt;
        return;
      case 'submit': {
        const ambassadorOnly = this.rolesOf(authorId).some((m) => m.initiativeId === b.initiativeId && m.role === 'ambassador') && !this.rolesOf(authorId).some((m) => m.initiativeId === b.initiativeId && m.role === 'coordinator');
        b.needsApproval = this.required.has(b.initiativeId) && ambassadorOnly;
        b.status = b.needsApproval ? 'pending' : 'scheduled';
        return;
      }
      case 'approve':
        b.status = 'scheduled';
        return;
      case 'reject':
        b.status = 'rejected';
        return;
      case 'pause':
        b.status = 'paused';
        return;
      case 'resume':
        b.status = 'sending';
        return;
      case 'cancel':
        b.status = 'cancelled';
        return;
      case 'requestDrafts':
        this.draftRequests.push({ broadcastId: b.id, languages: cmd.languages });
        return;
    }
  }
}

export interface World {
  broadcasts: FakeBroadcasts;
  initiatives: Map<number, InitiativeView>;
  events: UpcomingEvent[];
  people: Map<number, PersonView>;
  now: Date;
}

export function createWorld(now = '2027-03-01T09:00:00Z'): World {
  const world: World = {
    broadcasts: new FakeBroadcasts(),
    initiatives: new Map([
      [A, initiativeView(A, 'Samen naar De Regenboog')],
      [B, initiativeView(B, 'Samen naar De Zuilen')],
      [C, initiativeView(C, 'Samen naar Het Anker')],
    ]),
    events: [],
    people: new Map(),
    now: new Date(now),
  };
  world.broadcasts.rolesOf = (id) => world.people.get(id)?.memberships ?? [];
  return world;
}

export function addPerson(world: World, id: number, memberships: { initiativeId: number; role: MembershipInfo['role'] }[], language = 'nl'): PersonView {
  const person: PersonView = {
    id,
    language,
    displayName: null,
    pc4: '1094',
    heardFrom: 'friend',
    proactive: true,
    reminders: true,
    newsletter: true,
    quiet: null,
    children: [],
    initiative: world.initiatives.get(memberships[0]?.initiativeId ?? A) ?? null,
    channels: ['telegram'],
    preferredChannel: null,
    // Consented to the current notice, so no "something changed" notice comes before an answer.
    consentVersion: PRIVACY_NOTICE_VERSION,
    fallbackLanguage: null,
    memberships: memberships.map((m) => ({ ...m, languages: m.role === 'ambassador' ? ['nl'] : null })),
  };
  world.people.set(id, person);
  return person;
}

function directoryOf(world: World): Directory {
  return {
    initiativeByCode: () => null,
    initiativeById: (id) => world.initiatives.get(id) ?? null,
    initiativesForPostcode: () => [],
    eventFor: (eventId) => {
      const ev = world.events.find((e) => e.id === eventId);
      if (!ev) return null;
      return { id: ev.id, initiativeId: A, startsAt: ev.startsAt, endsAt: ev.endsAt, cancelled: false, capacity: null, goingOthers: 0, titles: ev.titles, places: ev.places, timeZone: ev.timeZone };
    },
    helpRoute: () => 'ambassador',
    registrationRule: () => ({ kind: 'fromAge3' }),
    upcomingEvents: (initiativeId, from) => world.events.filter((e) => (e as UpcomingEvent & { initiativeId?: number }).initiativeId === initiativeId && e.startsAt > from),
    inviteByToken: () => null,
    broadcasts: world.broadcasts,
  };
}

export function ctxFor(world: World, personId: number | null, channel: ChannelName = 'telegram'): FlowContext {
  return {
    now: world.now,
    timeZone: 'Europe/Amsterdam',
    channel,
    person: personId === null ? null : (world.people.get(personId) ?? null),
    directory: directoryOf(world),
    languages: locales.languages,
    defaultLanguage: 'nl',
    link: { freshCode: 'K7QM3XPD9FTW', redeemAllowed: false, refusal: () => null, find: () => null },
  };
}

export interface Turn {
  result: FlowResult;
  messages: OutboundMessage[];
  /** The plain text of every reply, joined by "\n---\n". */
  text: string;
  values: string[];
  effects: Effect[];
  /** The broadcast commands among the effects. */
  commands: BroadcastCommand[];
}

/** One chat: state kept between turns, broadcast commands applied to the fake store. */
export class Chat {
  state: unknown = null;
  constructor(
    readonly world: World,
    readonly personId: number,
    readonly channel: ChannelName = 'telegram',
  ) {}

  send(input: InboundContent | string): Turn {
    const content: InboundContent =
      typeof input !== 'string'
        ? input
        : input.startsWith('/')
          ? { kind: 'command', command: input.slice(1).split(' ')[0] ?? '', args: input.split(' ').slice(1).join(' ') }
          : input.startsWith('bc:') || input.startsWith('staff:') || input.startsWith('msg:') || input.startsWith('menu:')
            ? { kind: 'choice', value: input }
            : { kind: 'text', text: input };
    const ctx = ctxFor(this.world, this.personId, this.channel);
    const result = step(this.state, content, ctx);
    this.state = result.state;
    const commands = result.effects.flatMap((e) => (e.type === 'broadcast' ? [e.command] : []));
    for (const cmd of commands) this.world.broadcasts.apply(this.personId, cmd, this.world.now);
    const lang = result.language;
    const messages = result.replies.map((r) => renderReply(i18n, lang, r));
    return {
      result,
      messages,
      text: messages.map((m) => miniHtmlToPlain(m.text)).join('\n---\n'),
      values: messages.flatMap((m) => m.choices?.flat().map((c) => c.value) ?? []),
      effects: result.effects,
      commands,
    };
  }

  get step(): string | undefined {
    return (this.state as { step?: string } | null)?.step;
  }
  get flow(): string | undefined {
    return (this.state as { flow?: string } | null)?.flow;
  }
}

/** The label of the button with this value in a turn. */
export function labelOf(turn: Turn, value: string): string | undefined {
  return turn.messages.flatMap((m) => m.choices?.flat() ?? []).find((c) => c.value === value)?.label;
}

export function event(id: number, initiativeId: number, startsAt: string, title: string): UpcomingEvent & { initiativeId: number } {
  const start = new Date(startsAt);
  return { id, initiativeId, startsAt: start, endsAt: new Date(start.getTime() + 2 * 3600_000), minAgeMonths: 0, maxAgeMonths: 59, titles: { nl: title }, places: { nl: 'Speelzaal' }, timeZone: 'Europe/Amsterdam' };
}
