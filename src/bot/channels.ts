/**
 * Every messenger Ouderbrug speaks, in the order they are started. Where two modules serve
 * the same channel, the first enabled one wins (the official WhatsApp Cloud API before
 * whatsapp-web.js). Adding a messenger: its folder with a `*.module.ts`, and one line here.
 */
import type { ChannelModule } from './channel-module.js';
import { localModule } from './local/local.module.js';
import { telegramModule } from './telegram/telegram.module.js';
import { whatsappCloudModule } from './whatsapp/cloud/cloud.module.js';
import { whatsappWebModule } from './whatsapp/web/whatsapp-web.module.js';

export const CHANNEL_MODULES: readonly ChannelModule[] = [localModule, telegramModule, whatsappCloudModule, whatsappWebModule];
