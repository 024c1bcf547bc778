// What a message's text becomes on screen: links made clickable (safely) and emoji-only
// messages drawn large. Pure: the view turns the pieces into elements, never into HTML.

export type Piece = { text: string } | { text: string; href: string };

// A candidate: a scheme we allow, or "www.", up to whitespace or a character that cannot end
// or sit in a link in running text. Trailing punctuation is trimmed below.
const CANDIDATE = /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"'`]+/gi;
const TRAILING_CHARS = '.,;:!?)]}\'"»';

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** The href for a candidate, or null when it is not an http, https or mailto link. */
export function safeHref(candidate: string): string | null {
  const raw = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname ? url.href : null;
  if (url.protocol === 'mailto:') return /^[^@\s]+@[^@\s]+$/.test(decodeURIComponent(url.pathname)) ? url.href : null;
  return null;
}

/** Splits text into plain pieces and links (http, https, mailto, and www. as https). */
export function linkify(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    let candidate = m[0];
    // Trailing punctuation ends the sentence, not the link; a closing bracket belongs to the
    // link only when the link opened it ("…/Foo_(bar)").
    while (candidate.length > 0 && TRAILING_CHARS.includes(candidate[candidate.length - 1])) {
      if (candidate.endsWith(')') && count(candidate, '(') >= count(candidate, ')')) break;
      candidate = candidate.slice(0, -1);
    }
    const href = safeHref(candidate);
    if (!href) continue;
    const start = m.index!;
    if (start > at) out.push({ text: text.slice(at, start) });
    out.push({ text: candidate, href });
    at = start + candidate.length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** One grapheme segmenter for the page (making one per message cost more than the rest of a row). */
let segmenter: Intl.Segmenter | undefined;
const graphemes = () => (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));

const EMOJI = /^\p{Extended_Pictographic}|^\p{Regional_Indicator}|^[#*0-9]\uFE0F?\u20E3/u;

/**
 * The number of emoji when the text is nothing but 1 to 3 emoji (spaces allowed between
 * them), else 0. An emoji is one grapheme: a family, a flag or a skin tone counts once.
 */
export function emojiOnlyCount(text: string): number {
  const t = text.trim();
  // Most messages have a letter, which no emoji has: answered without segmenting.
  if (!t || t.length > 64 || /[A-Za-z]/.test(t)) return 0;
  let n = 0;
  for (const { segment } of graphemes().segment(t)) {
    if (/^\s+$/.test(segment)) continue;
    if (!EMOJI.test(segment)) return 0;
    if (++n > 3) return 0;
  }
  return n;
}
