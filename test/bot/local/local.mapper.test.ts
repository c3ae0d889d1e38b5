// Edge cases of the local mapper; the common mappings and refusals are in local-channel.test.ts.
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, toInbound } from '../../../src/bot/local/local.mapper.js';

const chatId = '3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f';

describe('local mapper: edge cases', () => {
  it('maps the whole message, keeping a well-formed language hint', () => {
    expect(toInbound({ chatId, text: '/Start  abc def ', languageHint: 'nl-NL' })).toEqual({
      address: { channel: 'local', chatId },
      content: { kind: 'command', command: 'start', args: 'abc def' },
      languageHint: 'nl-NL',
    });
  });

  it('treats a lone slash as text', () => {
    expect(toInbound({ chatId, text: '/' })?.content).toEqual({ kind: 'text', text: '/' });
  });

  it('cuts long text without leaving half an emoji behind', () => {
    const emojiAtEdge = 'a'.repeat(MAX_TEXT_LENGTH - 1) + '😀' + 'b';
    const content = toInbound({ chatId, text: emojiAtEdge })?.content;
    expect(content?.kind === 'text' && content.text).toBe('a'.repeat(MAX_TEXT_LENGTH - 1));
  });

  it.each([
    ['chatId too long', { chatId: 'a'.repeat(65), text: 'hoi' }],
    ['only whitespace', { chatId, text: ' \n\t ' }],
    ['text not a string', { chatId, text: 42 }],
    ['choice far too long', { chatId, choice: 'x'.repeat(300) }],
  ])('refuses %s', (_name, body) => {
    expect(toInbound(body)).toBeNull();
  });
});
