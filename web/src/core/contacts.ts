import type { User } from './types';

export interface Contact {
  user: User;
  nickname?: string | null;
  created_at?: number;
}

/** The name to show for a user: the contact's nickname when there is one, else the display name. */
export function shownName(user: { id: number; display_name: string }, contacts: ReadonlyMap<number, Contact>): string {
  const nick = contacts.get(user.id)?.nickname?.trim();
  return nick || user.display_name;
}

/** Contacts in the order of their shown names. */
export function sortContacts(list: readonly Contact[]): Contact[] {
  return [...list].sort((a, b) => (a.nickname?.trim() || a.user.display_name).localeCompare(b.nickname?.trim() || b.user.display_name));
}
