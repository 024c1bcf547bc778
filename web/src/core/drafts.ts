/**
 * Unsent text per chat, kept across chat switches and reloads. One entry per user in a
 * Storage (localStorage in the app): `parley.drafts.<user id>` -> {"<conversation id>": "text"}.
 * Empty drafts are not stored. Forgotten with the rest of the account's local data at log out.
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class Drafts {
  private readonly key: string;
  private cache: Record<string, string> | null = null;

  constructor(
    private readonly storage: KeyValueStorage,
    userId: number,
  ) {
    this.key = Drafts.keyFor(userId);
  }

  static keyFor(userId: number): string {
    return `parley.drafts.${userId}`;
  }

  /** The draft of a chat; '' when there is none. */
  get(conversationId: number): string {
    return this.all()[conversationId] ?? '';
  }

  /** Stores (or, when blank, forgets) the draft of a chat. A full or unavailable storage keeps it in memory. */
  set(conversationId: number, text: string): void {
    const all = this.all();
    if (text.trim() === '') {
      if (!(conversationId in all)) return;
      delete all[conversationId];
    } else {
      if (all[conversationId] === text) return;
      all[conversationId] = text;
    }
    try {
      if (Object.keys(all).length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(all));
    } catch {
      /* quota or privacy mode: the draft lives until the page closes */
    }
  }

  /** Forgets every draft of this user (log out). */
  clear(): void {
    this.cache = {};
    try {
      this.storage.removeItem(this.key);
    } catch {
      /* ignore */
    }
  }

  private all(): Record<string, string> {
    if (this.cache) return this.cache;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(this.storage.getItem(this.key) ?? 'null');
    } catch {
      parsed = null;
    }
    const clean: Record<string, string> = {};
    if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'string') clean[k] = v;
    }
    this.cache = clean;
    return clean;
  }
}
