/** The command menu Telegram shows, with a description in every shipped language (locales/<lang>/commands.json). */
import type { i18n } from 'i18next';
import type { LanguageInfo } from '../../flows/flow.types.js';

/**
 * The menu every parent sees (/ask: a question for an ambassador). Staff commands (/staff,
 * /invite, /broadcast, /nudge) work when typed, and staff reach
 * them through "Voor vrijwilligers" in the main menu; they are not in the public menu, where a
 * parent would only meet a refusal.
 */
export const COMMANDS = ['start', 'menu', 'ask', 'help', 'language', 'children', 'mydata', 'link', 'stop', 'delete'] as const;

export function commandMenus(i18n: i18n, languages: LanguageInfo[]): { language: string; commands: { command: string; description: string }[] }[] {
  return languages.map((l) => {
    const t = i18n.getFixedT(l.code);
    return { language: l.code, commands: COMMANDS.map((command) => ({ command, description: t(`commands:${command}`) })) };
  });
}
