import { describe, expect, it } from 'vitest';
import { createLocalChannel, MAX_EVENTS_PER_CHAT } from '../../../src/bot/local/local.adapter.js';
import { toInbound } from '../../../src/bot/local/local.mapper.js';
import { silentLogger } from '../../support/engine-harness.js';

describe('local mapper', () => {
  const chatId = 'abcdef12-3456';
  it.each([
    [{ chatId, text: '/start regenboog' }, { kind: 'command', command: 'start', args: 'regenboog' }],
    [{ chatId, text: '/MENU' }, { kind: 'command', command: 'menu', args: '' }],
    [{ chatId, text: '  hallo  ' }, { kind: 'text', text: 'hallo' }],
    [{ chatId, choice: 'lang:nl' }, { kind: 'choice', value: 'lang:nl' }],
  ])('%o → %o', (body, content) => {
    expect(toInbound(body)?.content).toEqual(content);
    expect(toInbound(body)?.address).toEqual({ channel: 'local', chatId });
  });

  it.each([null, 'x', 42, {}, { chatId: 'short', text: 'hi' }, { chatId: '../../etc/passwd', text: 'x' }, { chatId, text: 'a', choice: 'b' }, { chatId, choice: '' }, { chatId }])(
    'refuses %o',
    (body) => {
      expect(toInbound(body)).toBeNull();
    },
  );

  it('cuts a 20,000-character text to 10,000 and drops a malformed language hint', () => {
    const m = toInbound({ chatId, text: 'x'.repeat(20_000), languageHint: '<script>' });
    expect(m?.content.kind === 'text' && m.content.text.length).toBe(10_000);
    expect(m?.languageHint).toBeUndefined();
  });
});

describe('local channel', () => {
  it('keeps a transcript per chat, replays after a sequence number and notifies subscribers', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    const seen: string[] = [];
    const stop = local.subscribe('chat-aaaa1', (e) => seen.push(e.text));
    local.recordParent('chat-aaaa1', { kind: 'text', text: 'hoi' });
    await local.send('chat-aaaa1', { text: 'Hallo <b>ouder</b>', choices: [[{ label: 'Ja', value: 'y' }]], lang: 'ar', dir: 'rtl' });
    await local.send('chat-bbbb2', { text: 'other chat' });
    stop();
    await local.send('chat-aaaa1', { text: 'after unsubscribe' });
    expect(seen).toEqual(['hoi', 'Hallo <b>ouder</b>']);
    const history = local.history('chat-aaaa1', 0);
    expect(history.map((e) => e.from)).toEqual(['parent', 'bot', 'bot']);
    expect(history[1]).toMatchObject({ dir: 'rtl', lang: 'ar', choices: [[{ label: 'Ja', value: 'y' }]] });
    expect(local.history('chat-aaaa1', history[1]?.seq ?? 0).map((e) => e.text)).toEqual(['after unsubscribe']);
  });

  it('caps the transcript and never fails a send when a page connection throws', async () => {
    const local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
    local.subscribe('chat-cccc3', () => {
      throw new Error('page gone');
    });
    for (let i = 0; i < MAX_EVENTS_PER_CHAT + 20; i++) expect((await local.send('chat-cccc3', { text: `m${i}` })).status).toBe('sent');
    expect(local.history('chat-cccc3', 0)).toHaveLength(MAX_EVENTS_PER_CHAT);
  });
});
