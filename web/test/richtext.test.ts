import { describe, expect, it } from 'vitest';
import { emojiOnlyCount, linkify, safeHref } from '../src/core/richtext';

describe('links', () => {
  it('makes http, https, mailto and www. links, and leaves the words around them as text', () => {
    expect(linkify('see https://example.com/a?b=1 and www.parley.chat, or mail:mailto:ann@example.org!')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ' and ' },
      { text: 'www.parley.chat', href: 'https://www.parley.chat/' },
      { text: ', or mail:' },
      { text: 'mailto:ann@example.org', href: 'mailto:ann@example.org' },
      { text: '!' },
    ]);
  });

  it('never links another scheme', () => {
    for (const bad of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'vbscript:x', 'http://', 'mailto:nobody']) {
      expect(linkify(bad).every((p) => !('href' in p))).toBe(true);
    }
    expect(safeHref('JAVASCRIPT:alert(1)')).toBeNull();
  });

  it('keeps a closing bracket that the link opened, drops one that the sentence opened', () => {
    expect(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))')[1]).toEqual({
      text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    });
    expect(linkify('(see https://example.com)')[1]).toEqual({ text: 'https://example.com', href: 'https://example.com/' });
  });

  it('returns plain text untouched', () => {
    expect(linkify('no links here')).toEqual([{ text: 'no links here' }]);
    expect(linkify('')).toEqual([]);
  });
});

describe('emoji-only messages', () => {
  it('count 1 to 3 emoji, a family, a flag or a skin tone being one', () => {
    expect(emojiOnlyCount('😀')).toBe(1);
    expect(emojiOnlyCount(' 👍🏽 🇩🇪 ')).toBe(2);
    expect(emojiOnlyCount('👨‍👩‍👧‍👦❤️🎉')).toBe(3);
  });

  it('are not big with text, digits alone or more than three emoji', () => {
    expect(emojiOnlyCount('ok 👍')).toBe(0);
    expect(emojiOnlyCount('1')).toBe(0);
    expect(emojiOnlyCount('1\uFE0F\u20E3 #\uFE0F\u20E3')).toBe(2); // keycaps: digits and # are part of these emoji
    expect(emojiOnlyCount('👍 a')).toBe(0);
    expect(emojiOnlyCount('Message 12: lorem ipsum')).toBe(0);
    expect(emojiOnlyCount('😀')).toBe(1); // the shared segmenter, again
    expect(emojiOnlyCount('😀😀😀😀')).toBe(0);
    expect(emojiOnlyCount('')).toBe(0);
  });
});
