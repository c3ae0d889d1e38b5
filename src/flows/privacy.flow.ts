/**
 * The parent's rights: /stop (no proactive messages; chatting still works), /start again
 * (messages back on), /mydata (everything stored) and /delete (after a confirmation,
 * erase everything). States: `confirm_delete`. Choice values: `del:yes`, `del:no`.
 */
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, result, say, state } from './kit.js';
import { mainMenu } from './menu.flow.js';

export function stopMessages(lang: string, ctx: FlowContext): FlowResult {
  if (!ctx.person) return result(null, lang, [say('privacy:nothingStored')]);
  const menu = mainMenu(lang, { ...ctx, person: { ...ctx.person, proactive: false } }, [say('privacy:stopped')]);
  return { ...menu, effects: [{ type: 'proactive', enabled: false }] };
}

export function resumeMessages(lang: string, ctx: FlowContext): FlowResult {
  if (!ctx.person) return result(null, lang, [say('privacy:nothingStored')]);
  const menu = mainMenu(lang, { ...ctx, person: { ...ctx.person, proactive: true } }, [say('privacy:resumed')]);
  return { ...menu, effects: [{ type: 'proactive', enabled: true }] };
}

export function myData(lang: string, ctx: FlowContext): FlowResult {
  if (!ctx.person) return result(null, lang, [say('privacy:nothingStored')]);
  const menu = mainMenu(lang, ctx);
  // The engine renders the export itself (it needs the database) before the menu.
  return { ...menu, effects: [{ type: 'exportData' }] };
}

export function askDelete(lang: string, ctx: FlowContext): FlowResult {
  if (!ctx.person) return result(null, lang, [say('privacy:nothingStored')]);
  return result(state('privacy', 'confirm_delete', lang), lang, [
    say('privacy:confirmDelete', undefined, [[choice('del:yes', 'privacy:deleteYes')], [choice('del:no', 'privacy:deleteNo')]]),
  ]);
}

export function handlePrivacy(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  if (input.kind === 'choice' && input.value === 'del:yes') return result(null, lang, [say('privacy:deleted')], [{ type: 'erase' }]);
  if (input.kind === 'choice' && input.value === 'del:no') return mainMenu(lang, ctx, [say('privacy:notDeleted')]);
  return result(st, lang, [say('common:pleaseChoose'), ...askDelete(lang, ctx).replies]);
}
