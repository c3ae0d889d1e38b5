/**
 * The outreach ladder's answer buttons (pure; src/domain/outreach-ladder.ts). Each question is
 * answered with one tap; any tap is an own action, so the parent is active again. Values:
 *   or:play / or:visit   yes to a play morning / a look at the school (src/flows/outreach.flow.ts)
 *   or:notyet            not registered yet: the registration dates of their children
 *   or:ok / or:start     knows / does not know yet when the child starts school
 *   or:help              "I'd like help": a relayed question (source 'ladder')
 *   or:no                no thank you (a reaction like any other; never "no contact")
 * and existing ones: `reg:<child>:done|help` (nurture.flow.ts), `rl:call` (the call-back flow, which
 * asks for a number the parent may skip), `menu:now` (what the initiative is doing now).
 */
import type { Choice } from '../core/messages.js';
import type { DeliveryPayload } from './nurture.types.js';

export type OutreachButtonSet = 'outreachPlay' | 'outreachVisit' | 'outreachRegister' | 'outreachStart' | 'outreachGeneral' | 'outreachCall';

const b = (value: string, key: string): Choice => ({ value, label: { key: `outreach:button.${key}` } });

export function outreachButtons(set: OutreachButtonSet, payload: Pick<DeliveryPayload, 'childId'>): Choice[][] {
  const child = payload.childId ?? 0;
  switch (set) {
    case 'outreachPlay':
      return [[b('or:play', 'yes')], [b('or:no', 'notNow')]];
    case 'outreachVisit':
      return [[b('or:visit', 'yes')], [b('or:no', 'notNow')]];
    case 'outreachRegister':
      return [[b(`reg:${child}:done`, 'registered')], [b('or:notyet', 'notYet')], [b(`reg:${child}:help`, 'help')]];
    case 'outreachStart':
      return [[b('or:ok', 'know')], [b('or:start', 'notYet')], [b('or:help', 'help')]];
    case 'outreachGeneral':
      return [[b('menu:now', 'yes')], [b('or:no', 'notNow')]];
    case 'outreachCall':
      return [[b('rl:call', 'callYes')], [b('or:no', 'noThanks')]];
  }
}
