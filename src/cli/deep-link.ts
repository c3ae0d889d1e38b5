/** Deep links that open the bot on an initiative (`/start <code>`), and QR codes of them for flyers. */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import QRCode from 'qrcode';
import type { Config } from '../config.js';
import { CliError } from './context.js';

/** The link a parent taps or scans; without a known bot username only the command can be shown. */
export function deepLink(botUsername: string | undefined, code: string): string {
  return botUsername ? `https://t.me/${botUsername}?start=${code}` : `/start ${code}`;
}

export function resolveBotUsername(option: string | undefined, config: Config): string | undefined {
  return option ?? config.telegram.username;
}

/** `--qr` without a value means "the default file name". */
export type QrOption = string | boolean | undefined;

/** Where the QR code goes, or null for none. Fails early when there is no link to encode. */
export function qrTarget(option: QrOption, code: string, botUsername: string | undefined, cwd: string): string | null {
  if (option === undefined || option === false) return null;
  if (!botUsername) throw new CliError('a QR code needs the bot username: pass --bot-username <name> or set TELEGRAM_BOT_USERNAME.');
  // Generated files go to ./data/ (git-ignored), never into the repository root; a given path is used as given.
  const file = option === true ? join('data', `initiative-${code}.png`) : option;
  return resolve(cwd, file);
}

export async function writeQr(path: string, link: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  try {
    await QRCode.toFile(path, link, { type: 'png', width: 512, margin: 2 });
  } catch (err) {
    throw new CliError(`could not write the QR code to ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
