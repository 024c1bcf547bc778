import { describe, expect, it } from 'vitest';
import { QUOTE_SNIPPET_CHARS, quoteOf, snippetOf } from '../src/core/replies';
import { Outbox } from '../src/core/outbox';
import { BOB, msg } from './helpers';

describe('reply quotes', () => {
  it('show the sender and the start of the text on one line', () => {
    const q = quoteOf(msg(1, 3, BOB.id, 'dinner\n\nat   seven?'));
    expect(q).toEqual({ state: 'ok', senderId: BOB.id, snippet: 'dinner at seven?', photo: false });
  });

  it('cut long text at a character boundary with an ellipsis', () => {
    const long = '😀'.repeat(QUOTE_SNIPPET_CHARS + 10);
    const s = snippetOf(long);
    expect([...s].length).toBe(QUOTE_SNIPPET_CHARS);
    expect(s.endsWith('…')).toBe(true);
    expect(s.includes('\uFFFD')).toBe(false);
  });

  it('follow the original: edited text, deletion, hiding', () => {
    const original = msg(1, 3, BOB.id, 'meet at 5');
    expect(quoteOf({ ...original, text: 'meet at 6', edited_at: 1 }).snippet).toBe('meet at 6');
    expect(quoteOf({ ...original, text: '', deleted: true }).state).toBe('deleted');
    expect(quoteOf({ ...original, text: '', hidden: true }).state).toBe('unavailable');
    expect(quoteOf(null).state).toBe('unavailable');
    expect(quoteOf(undefined).state).toBe('loading');
  });

  it('name a photo without caption "Photo"', () => {
    const photo = { ...msg(1, 4), kind: 'image', text: '' };
    expect(quoteOf(photo)).toMatchObject({ state: 'ok', snippet: 'Photo', photo: true });
  });

  it('travel in the outbox entry, so a retry sends the same reply', () => {
    const box = new Outbox([], { newId: () => 'x1', now: () => 5 });
    const e = box.add(7, 'yes', undefined, 3);
    expect(e.reply_to).toBe(3);
    expect(box.get('x1')?.reply_to).toBe(3);
    expect(box.add(7, 'no reply').reply_to).toBeUndefined();
  });
});
