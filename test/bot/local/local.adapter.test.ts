// What local-channel.test.ts does not cover: the parent's own bubbles and forgetting old chats.
import { describe, expect, it } from 'vitest';
import { createLocalChannel, MAX_CHATS, MAX_EVENTS_PER_CHAT } from '../../../src/bot/local/local.adapter.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import { renderText } from '../../../src/core/render.js';
import { silentLogger } from '../../support/engine-harness.js';

describe('local channel: transcript details', () => {
  it('records the parent as mini-HTML: escaped text, the command, the label of a pressed button', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    local.recordParent('chat-aaaa', { kind: 'text', text: '<b>hoi</b> & zo' });
    local.recordParent('chat-aaaa', { kind: 'command', command: 'start', args: 'x' });
    await local.send('chat-aaaa', { text: 'Kies', choices: [[{ label: 'Ja <i>graag</i>', value: 'yes' }]] });
    local.recordParent('chat-aaaa', { kind: 'choice', value: 'yes' });
    local.recordParent('chat-aaaa', { kind: 'choice', value: 'a<b' });
    const parent = local.history('chat-aaaa', 0).filter((e) => e.from === 'parent');
    expect(parent.map((e) => e.text)).toEqual(['&lt;b&gt;hoi&lt;/b&gt; &amp; zo', '/start x', 'Ja <i>graag</i>', 'a&lt;b']);
    expect(parent.every((e) => e.choices.length === 0 && e.attachment === null)).toBe(true);
  });

  it('keeps a link choice\'s url for the page; a link never names what the parent pressed', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    const url = 'https://www.schoolwijzernijmegen.nl/';
    await local.send('chat-aaaa', { text: 'Zoek de datum op', choices: [[{ label: 'Bekijk de pagina van de gemeente', value: 'link:0', url }]] });
    expect(local.history('chat-aaaa', 0)[0]?.choices).toEqual([[{ label: 'Bekijk de pagina van de gemeente', value: 'link:0', url }]]);
    local.recordParent('chat-aaaa', { kind: 'choice', value: 'link:0' });
    expect(local.history('chat-aaaa', 0).at(-1)?.text).toBe('link:0');
  });

  it('is text only: a voice note, photo or file shows as a line in the reader\'s language, never the file', async () => {
    const locales = loadLocales(DEFAULT_LOCALES_DIR);
    const i18n = createI18n(locales);
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false, mediaNote: (type, lang) => renderText(i18n, lang ?? 'nl', { key: `media:webchat.${type}` }) });
    await local.send('chat-aaaa', { text: 'Nieuws van de <b>speelochtend</b>', lang: 'nl', media: { mediaId: 7, type: 'voice' } });
    await local.send('chat-aaaa', { text: '', lang: 'tr', media: { mediaId: 8, type: 'photo' } });
    const [voice, photo] = local.history('chat-aaaa', 0);
    expect(voice?.text).toBe('<i>🎤 Spraakbericht. Je kunt het hier niet afspelen. Luister in Telegram of WhatsApp.</i>\n\nNieuws van de <b>speelochtend</b>');
    expect(photo?.text).toBe("<i>🖼️ Fotoğraf. Telegram veya WhatsApp'ta görebilirsiniz.</i>");
    expect(voice?.attachment).toBeNull();
  });

  it('has nothing for an unknown chat and adds dir only when given', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    expect(local.history('nobody-here', 0)).toEqual([]);
    await local.send('chat-aaaa', { text: 'een' });
    expect(local.history('chat-aaaa', 0)[0]).not.toHaveProperty('dir');
  });

  it('forgets the least recently used chat once there are too many', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    for (let i = 0; i < MAX_EVENTS_PER_CHAT + 5; i++) await local.send('busy-chat', { text: `m${i}` });
    expect(local.history('busy-chat', 0)[0]?.text).toBe('m5');

    await local.send('old-chat', { text: 'oud' });
    for (let i = 0; i < MAX_CHATS - 2; i++) await local.send(`chat-${i}-xxxx`, { text: 'x' });
    local.history('busy-chat', 0); // reading counts as use
    await local.send('one-more-chat', { text: 'nieuw' });
    expect(local.history('old-chat', 0)).toEqual([]);
    expect(local.history('busy-chat', 0)).toHaveLength(MAX_EVENTS_PER_CHAT);
    expect(local.health()).toMatchObject({ name: 'local', state: 'up', detail: `${MAX_CHATS} chats` });
  });
});
