import { emojiOnlyCount, linkify } from '../core/richtext';

/**
 * A message's text: links (http, https, mailto only) open in a new tab without telling the
 * site where they came from; 1 to 3 emoji alone are drawn large. `plain`: as is (deleted,
 * system and unsupported messages).
 */
export function MessageText({ text, plain = false }: { text: string; plain?: boolean }) {
  if (plain) return <span class="text">{text}</span>;
  const emoji = emojiOnlyCount(text);
  if (emoji > 0) return <span class={`text big-emoji big-emoji-${emoji}`}>{text.trim()}</span>;
  return (
    <span class="text">
      {linkify(text).map((p, i) =>
        'href' in p ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer">
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </span>
  );
}
