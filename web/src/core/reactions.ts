import type { Message, ReactionGroup } from './types';

/** The quick-pick row of the reaction picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/** The full picker, by group. Every entry is one emoji by the server's grammar (docs/protocol.md, "Reactions"). */
export const ALL_REACTIONS: ReadonlyArray<{ name: string; emoji: readonly string[] }> = [
  { name: 'Smileys', emoji: ['😀', '😃', '😄', '😁', '😆', '😅', '🤣', '😂', '🙂', '🙃', '😉', '😊', '😇', '🥰', '😍', '🤩', '😘', '😋', '😛', '😜', '🤪', '🤔', '🤨', '😐', '😑', '😶', '🙄', '😏', '😬', '😌', '😔', '😪', '😴', '😷', '🤒', '🤯', '🥳', '😎', '🤓', '😕', '😟', '😮', '😲', '😳', '🥺', '😢', '😭', '😱', '😤', '😡', '🤬', '💀', '🤡', '👻', '🫠'] },
  { name: 'Gestures', emoji: ['👍', '👎', '👌', '✌️', '🤞', '🤟', '🤙', '👋', '👏', '🙌', '🙏', '🤝', '💪', '👀', '🫶', '✋', '🤷', '🤦'] },
  { name: 'Hearts', emoji: ['❤️', '🧡', '💛', '💚', '💙', '💜', '🖤', '🤍', '💔', '💕', '💯', '✨', '🔥', '⭐', '🎉', '🎊'] },
  { name: 'Things', emoji: ['☕', '🍕', '🍔', '🍰', '🍻', '🍷', '🎂', '🎁', '⚽', '🏆', '🎵', '📷', '💡', '📌', '✅', '❌', '❓', '❗', '⏰', '🚀'] },
];

/** A held message after a `reaction` event: `emoji` null removes the user's reaction. */
export function applyReaction(m: Message, userId: number, emoji: string | null, version?: number): Message {
  const groups: ReactionGroup[] = [];
  for (const g of m.reactions ?? []) {
    const ids = g.user_ids.filter((id) => id !== userId);
    if (ids.length) groups.push({ emoji: g.emoji, user_ids: ids });
  }
  if (emoji) {
    const g = groups.find((x) => x.emoji === emoji);
    if (g) g.user_ids = [...g.user_ids, userId];
    else groups.push({ emoji, user_ids: [userId] });
  }
  const out: Message = { ...m };
  if (groups.length) out.reactions = groups;
  else delete out.reactions;
  if (version !== undefined) out.version = Math.max(version, m.version ?? 0);
  return out;
}

/** The user's own reaction on a message, if any. */
export function myReaction(m: Message, me: number): string | undefined {
  return m.reactions?.find((g) => g.user_ids.includes(me))?.emoji;
}

/** "You, Bob and Carol" for the people behind one emoji. */
export function reactorsText(ids: readonly number[], me: number, nameOf: (id: number) => string): string {
  const names = ids.map((id) => (id === me ? 'You' : nameOf(id)));
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
