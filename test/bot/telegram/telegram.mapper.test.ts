import { describe, expect, it } from 'vitest';
import type { Update } from 'telegraf/types';
import { dropReason, encodeCallbackData, toInbound, toInlineKeyboard } from '../../../src/bot/telegram/telegram.mapper.js';
import { splitForTelegram } from '../../../src/bot/telegram/telegram.split.js';
import { parseTelegramHtml } from '../../support/fake-bot-api.js';

const user = { id: 4242, is_bot: false, first_name: 'Fatima', language_code: 'ar' };
const privateChat = { id: 4242, type: 'private' as const, first_name: 'Fatima' };

function messageUpdate(fields: Record<string, unknown>, chat: Record<string, unknown> = privateChat): Update {
  return { update_id: 1001, message: { message_id: 7, date: 1_700_000_000, chat, from: user, ...fields } } as unknown as Update;
}

function callbackUpdate(data: unknown, withMessage = true): Update {
  const message = { message_id: 8, date: 1_700_000_000, chat: privateChat, from: { id: 1, is_bot: true, first_name: 'Bot' }, text: 'Kies' };
  return { update_id: 1002, callback_query: { id: 'cb1', from: user, chat_instance: 'ci', ...(withMessage ? { message } : {}), ...(data === undefined ? {} : { data }) } } as unknown as Update;
}

describe('toInbound', () => {
  it('maps a private text message with address, language hint and update id', () => {
    expect(toInbound(messageUpdate({ text: 'Hallo daar' }))).toEqual({
      address: { channel: 'telegram', chatId: '4242' },
      content: { kind: 'text', text: 'Hallo daar' },
      languageHint: 'ar',
      externalId: '1001',
    });
  });

  it('leaves the language hint out when Telegram does not send one', () => {
    const update = { update_id: 5, message: { message_id: 1, date: 0, chat: privateChat, from: { id: 4242, is_bot: false, first_name: 'X' }, text: 'hoi' } } as unknown as Update;
    expect(toInbound(update)).not.toHaveProperty('languageHint');
  });

  it.each([
    ['/start', 'start', ''],
    ['/Start@OuderbrugBot', 'start', ''],
    ['/HELP@OuderbrugBot  waar is  de school ', 'help', 'waar is  de school'],
    ['/start abc123', 'start', 'abc123'],
    ['/taal\nnl', 'taal', 'nl'],
  ])('parses %j as command %s with args %j', (text, command, args) => {
    expect(toInbound(messageUpdate({ text }))?.content).toEqual({ kind: 'command', command, args });
  });

  it.each(['/', '/ hallo', 'geen /commando'])('treats %j as text', (text) => {
    expect(toInbound(messageUpdate({ text }))?.content).toEqual({ kind: 'text', text });
  });

  it.each([
    ['sticker', { sticker: { file_id: 's' } }],
    ['photo', { photo: [{ width: 1 }], caption: 'kijk' }],
    ['voice', { voice: { duration: 3 } }],
    ['voice', { audio: 'not an object' }],
    ['video', { video: { file_id: 'v' } }],
    ['video', { video_note: { file_id: 'v' } }],
    ['video', { animation: { file_id: 'g' }, document: { file_id: 'g' } }],
    ['file', { document: { file_id: '' } }],
    ['location', { location: { latitude: 52.37, longitude: 4.89 } }],
    ['location', { venue: { location: { latitude: 1, longitude: 2 }, title: 'x' }, location: { latitude: 1, longitude: 2 } }],
    ['contact', { contact: { phone_number: '+31600000000', first_name: 'A' } }],
    ['other', { poll: { id: 'p', question: '?' } }],
    ['other', { dice: { emoji: '🎲', value: 3 } }],
  ])('maps unreadable content to unsupported %s', (what, fields) => {
    expect(toInbound(messageUpdate(fields))?.content).toEqual({ kind: 'unsupported', what });
  });

  it.each([
    [
      'a voice note',
      { voice: { file_id: 'v1', file_unique_id: 'u', duration: 7, mime_type: 'audio/ogg', file_size: 12_345 } },
      { type: 'voice', ref: 'v1', mimeType: 'audio/ogg', durationSeconds: 7, bytes: 12_345 },
    ],
    ['an audio file', { audio: { file_id: 'a1', file_unique_id: 'u', duration: 60, mime_type: 'audio/mp4', file_name: 'les.m4a' } }, { type: 'voice', ref: 'a1', mimeType: 'audio/mp4', filename: 'les.m4a', durationSeconds: 60 }],
    [
      'a photo (its largest size)',
      { photo: [{ file_id: 'small', file_unique_id: 's', width: 90, height: 90 }, { file_id: 'big', file_unique_id: 'b', width: 1280, height: 1280, file_size: 200_000 }] },
      { type: 'photo', ref: 'big', mimeType: 'image/jpeg', bytes: 200_000 },
    ],
    ['a PDF', { document: { file_id: 'd1', file_unique_id: 'u', file_name: 'flyer.pdf', mime_type: 'application/pdf', file_size: 99 } }, { type: 'document', ref: 'd1', mimeType: 'application/pdf', filename: 'flyer.pdf', bytes: 99 }],
  ])('maps %s to media', (_name, fields, media) => {
    expect(toInbound(messageUpdate(fields))?.content).toEqual({ kind: 'media', media });
  });

  it('keeps a caption and the message a file replies to', () => {
    const bot = { id: 1, is_bot: true, first_name: 'Bot' };
    const update = messageUpdate({ photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }], caption: 'Flyer', reply_to_message: { message_id: 55, date: 0, chat: privateChat, from: bot, text: 'Stuur een foto' } });
    expect(toInbound(update)?.content).toEqual({ kind: 'media', media: { type: 'photo', ref: 'p', mimeType: 'image/jpeg' }, caption: 'Flyer', replyTo: '55' });
  });

  it('a text replying to one of our messages carries its message_id; a reply to the person\'s own message does not', () => {
    const bot = { id: 1, is_bot: true, first_name: 'Bot' };
    const ours = messageUpdate({ text: 'Morgen om 9 uur', reply_to_message: { message_id: 321, date: 0, chat: privateChat, from: bot, text: 'Vraag van een ouder' } });
    expect(toInbound(ours)?.content).toEqual({ kind: 'text', text: 'Morgen om 9 uur', replyTo: '321' });
    const own = messageUpdate({ text: 'nog eens', reply_to_message: { message_id: 320, date: 0, chat: privateChat, from: user, text: 'vraag' } });
    expect(toInbound(own)?.content).toEqual({ kind: 'text', text: 'nog eens' });
    const command = messageUpdate({ text: '/stop', reply_to_message: { message_id: 321, date: 0, chat: privateChat, from: bot, text: 'x' } });
    expect(toInbound(command)?.content).toEqual({ kind: 'command', command: 'stop', args: '' });
  });

  it('maps an edit to unsupported edit', () => {
    const update = { update_id: 3, edited_message: { message_id: 7, date: 0, edit_date: 1, chat: privateChat, from: user, text: 'nieuw' } } as unknown as Update;
    expect(toInbound(update)?.content).toEqual({ kind: 'unsupported', what: 'edit' });
  });

  it('ignores service messages Telegram generates itself', () => {
    expect(toInbound(messageUpdate({ pinned_message: { message_id: 1 } }))).toBeNull();
    expect(toInbound(messageUpdate({ write_access_allowed: {} }))).toBeNull();
  });

  it('ignores groups, supergroups and channels', () => {
    expect(toInbound(messageUpdate({ text: 'hoi' }, { id: -100, type: 'group', title: 'G' }))).toBeNull();
    expect(toInbound(messageUpdate({ text: 'hoi' }, { id: -1001, type: 'supergroup', title: 'S' }))).toBeNull();
    const post = { update_id: 9, channel_post: { message_id: 1, date: 0, chat: { id: -1002, type: 'channel', title: 'C' }, text: 'x' } } as unknown as Update;
    expect(toInbound(post)).toBeNull();
  });

  it('decodes our callback data into a choice', () => {
    expect(toInbound(callbackUpdate('1|lang:nl'))).toEqual({
      address: { channel: 'telegram', chatId: '4242' },
      content: { kind: 'choice', value: 'lang:nl' },
      languageHint: 'ar',
      externalId: '1002',
    });
    expect(toInbound(callbackUpdate('1|a|b'))?.content).toEqual({ kind: 'choice', value: 'a|b' });
  });

  it.each([['0|old'], ['2|future'], ['garbage'], ['1|'], [''], [undefined], [42]])('maps callback data %j to stale_choice', (data) => {
    expect(toInbound(callbackUpdate(data))?.content).toEqual({ kind: 'stale_choice' });
  });

  it('ignores a callback from an inline-mode message (no chat)', () => {
    expect(toInbound(callbackUpdate('1|x', false))).toBeNull();
  });

  it.each([
    null,
    undefined,
    'garbage',
    42,
    [],
    {},
    { update_id: 'x', message: { text: 'a' } },
    { update_id: 1 },
    { update_id: 1, message: 'garbage' },
    { update_id: 1, message: { text: 'hoi' } },
    { update_id: 1, message: { chat: { id: 'abc', type: 'private' }, text: 'hoi' } },
    { update_id: 1, message: { chat: { id: 1.5, type: 'private' }, text: 'hoi' } },
    { update_id: 1, message: { chat: null, text: 'hoi' } },
    { update_id: 1, callback_query: 'garbage' },
    { update_id: 1, callback_query: { id: 'x', message: { chat: 'nope' }, data: '1|a' } },
    { update_id: 1, my_chat_member: { chat: privateChat } },
  ])('returns null for malformed update %j without throwing', (raw) => {
    expect(toInbound(raw as unknown as Update)).toBeNull();
  });

  it('survives a hostile object whose getters throw', () => {
    const hostile = Object.defineProperty({ update_id: 1 }, 'message', { get: () => { throw new Error('boom'); }, enumerable: true });
    expect(toInbound(hostile as unknown as Update)).toBeNull();
  });

  it('reads a text that is not a string as unsupported instead of crashing', () => {
    expect(toInbound(messageUpdate({ text: 42 }))?.content).toEqual({ kind: 'unsupported', what: 'other' });
  });
});

describe('encodeCallbackData', () => {
  it('prefixes the version', () => {
    expect(encodeCallbackData('lang:nl')).toBe('1|lang:nl');
  });

  it('accepts exactly 64 bytes and rejects 65', () => {
    expect(encodeCallbackData('x'.repeat(62))).toHaveLength(64);
    expect(() => encodeCallbackData('x'.repeat(63))).toThrow(/65 bytes/);
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => encodeCallbackData('ع'.repeat(32))).toThrow(/66 bytes/);
    expect(encodeCallbackData('ع'.repeat(31))).toBe(`1|${'ع'.repeat(31)}`);
  });

  it('rejects an empty value: it would decode as stale', () => {
    expect(() => encodeCallbackData('')).toThrow();
  });
});

describe('toInlineKeyboard', () => {
  it('builds rows of buttons with plain labels and versioned data', () => {
    const keyboard = toInlineKeyboard([[{ label: '<b>Ja</b> &amp; graag', value: 'yes' }, { label: 'Nee', value: 'no' }], [], [{ label: 'a &lt; b', value: 'lt' }]]);
    expect(keyboard).toEqual({
      inline_keyboard: [
        [{ text: 'Ja & graag', callback_data: '1|yes' }, { text: 'Nee', callback_data: '1|no' }],
        [{ text: 'a < b', callback_data: '1|lt' }],
      ],
    });
  });
});

/** What a person sees, per chunk: Telegram's parser (the fake's, which is strict) decides. */
const plain = (chunk: string): string => parseTelegramHtml(chunk);
const squash = (s: string): string => s.replace(/\s+/g, '');

/** Problems with a split, as readable strings; cheaper than an expect per chunk. */
function chunkProblems(html: string, chunks: string[], limit: number): string[] {
  const problems: string[] = [];
  for (const chunk of chunks) {
    let text: string;
    try {
      text = plain(chunk);
    } catch (err) {
      problems.push(`${JSON.stringify(chunk)}: ${(err as Error).message}`);
      continue;
    }
    if (text.length > limit) problems.push(`${JSON.stringify(chunk)} is ${text.length} > ${limit}`);
    if (text.trim().length === 0) problems.push(`${JSON.stringify(chunk)} is empty`);
  }
  // Nothing lost, nothing doubled: only the whitespace at the cuts may go.
  if (problems.length === 0 && squash(chunks.map(plain).join('')) !== squash(plain(html))) problems.push(`text changed: ${JSON.stringify(html)} → ${JSON.stringify(chunks)}`);
  return problems;
}

function expectValidChunks(html: string, chunks: string[], limit: number): void {
  expect(chunkProblems(html, chunks, limit)).toEqual([]);
}

describe('splitForTelegram', () => {
  it('returns short text as one chunk, unchanged', () => {
    expect(splitForTelegram('<b>Hoi</b> &amp; welkom')).toEqual(['<b>Hoi</b> &amp; welkom']);
  });

  it('never returns empty chunks', () => {
    expect(splitForTelegram('')).toEqual([]);
    expect(splitForTelegram(' \n\n ')).toEqual([]);
    expect(splitForTelegram('<b></b>')).toEqual([]);
  });

  it('measures after entity parsing: tags are free and an entity is one character', () => {
    const html = `<b>${'&amp;'.repeat(10)}</b>`;
    expect(splitForTelegram(html, 10)).toEqual([html]);
    expect(splitForTelegram(html, 9)).toEqual([`<b>${'&amp;'.repeat(9)}</b>`, '<b>&amp;</b>']);
  });

  it('prefers paragraph breaks, then line breaks, then spaces', () => {
    expect(splitForTelegram('aaa bbb\nccc\n\nddd', 12)).toEqual(['aaa bbb\nccc', 'ddd']);
    expect(splitForTelegram('aaa bbb\nccc ddd', 12)).toEqual(['aaa bbb', 'ccc ddd']);
    expect(splitForTelegram('aaa bbb ccc ddd', 12)).toEqual(['aaa bbb ccc', 'ddd']);
  });

  it('packs several paragraphs into one chunk when they fit', () => {
    expect(splitForTelegram('aa\n\nbb\n\ncc\n\ndd', 6)).toEqual(['aa\n\nbb', 'cc\n\ndd']);
  });

  it('cuts a word without spaces between characters, never inside a surrogate pair', () => {
    expect(splitForTelegram('abcdefgh', 3)).toEqual(['abc', 'def', 'gh']);
    const chunks = splitForTelegram('😀😀😀', 3);
    expect(chunks).toEqual(['😀', '😀', '😀']);
  });

  it('closes open tags at a cut and reopens them in the next chunk', () => {
    expect(splitForTelegram('<b>een <i>twee drie</i> vier</b>', 9)).toEqual(['<b>een <i>twee</i></b>', '<b><i>drie</i> vier</b>']);
  });

  it('keeps a tag that spans paragraphs valid in every chunk', () => {
    const html = `<i>${'lang verhaal '.repeat(30)}\n\n${'nog meer '.repeat(30)}</i>`;
    const chunks = splitForTelegram(html, 100);
    expect(chunks.length).toBeGreaterThan(3);
    expectValidChunks(html, chunks, 100);
  });

  it('splits 10,000 characters of paragraphs and bold text into valid 4096 chunks', () => {
    const paragraph = (n: number): string => `<b>Deel ${n}</b>: ${'De ouders &amp; kinderen &lt;samen&gt; naar school. '.repeat(8)}`;
    const html = Array.from({ length: 30 }, (_, n) => paragraph(n)).join('\n\n');
    expect(plain(html).length).toBeGreaterThan(10_000);
    const chunks = splitForTelegram(html);
    expect(chunks.length).toBe(3);
    expectValidChunks(html, chunks, 4096);
    for (const chunk of chunks) expect(chunk.startsWith('<b>Deel')).toBe(true);
  });

  it('holds its promises on random mini-HTML (seeded)', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const problems: string[] = [];
    const pieces = ['woord', 'ü', '😀', '&amp;', '&lt;', '&quot;', ' ', ' ', '\n', '\n\n', 'lang-woord-zonder-spaties'];
    for (let round = 0; round < 300; round++) {
      let html = '';
      const open: string[] = [];
      for (let i = 0; i < 60; i++) {
        const r = random(14);
        if (r === 11 && open.length < 2) {
          const tag = open.includes('b') ? 'i' : 'b';
          if (!open.includes(tag)) {
            open.push(tag);
            html += `<${tag}>`;
          }
        } else if (r === 12 && open.length > 0) html += `</${open.pop() ?? ''}>`;
        else html += pieces[random(pieces.length)] ?? '';
      }
      while (open.length > 0) html += `</${open.pop() ?? ''}>`;
      const limit = 3 + random(40);
      problems.push(...chunkProblems(html, splitForTelegram(html, limit), limit));
    }
    expect(problems).toEqual([]);
  });
});

describe('dropReason: what the adapter logs for an update that is no message', () => {
  it('names the kind and why, without content', () => {
    const reason = (u: unknown) => dropReason(u as Update);
    expect(reason({ update_id: 1, channel_post: { chat: { id: -1, type: 'channel' }, text: 'x' } })).toEqual({ kind: 'channel_post', reason: 'update kind not handled' });
    expect(reason({ update_id: 2, message: { chat: { id: -5, type: 'group' }, text: 'x' } })).toEqual({ kind: 'message', reason: 'not a private chat' });
    expect(reason({ update_id: 3, callback_query: { id: 'q', data: '1|x' } })).toEqual({ kind: 'callback_query', reason: 'inline-mode button' });
    expect(reason({ message: {} })).toEqual({ kind: 'message', reason: 'no update_id' });
  });
});
