// Wire objects of protocol v1 (docs/protocol.md). Ids are integers below 2^53.

export interface User {
  id: number;
  username: string;
  display_name: string;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender_id: number;
  client_id: string;
  kind: string;
  text: string;
  ts: number;
}

export interface Member {
  user: User;
  delivered_seq: number;
  read_seq: number;
}

export interface Conversation {
  id: number;
  kind: string;
  peer?: User | null;
  members: Member[];
  last_seq: number;
  last_activity: number;
  unread?: number;
  created_at: number;
  last_message: Message | null;
  version: number;
}

export interface AuthResult {
  user: User;
  token: string;
  session_id: number;
  expires_at: number;
}

export interface ReceiptEvent {
  type: 'receipt';
  conversation_id: number;
  user_id: number;
  delivered_seq: number;
  read_seq: number;
  version?: number;
}

export interface SyncPage {
  version: number;
  has_more: boolean;
  conversations: Conversation[];
}

export interface HistoryPage {
  messages: Message[];
  has_more: boolean;
}

/** Status of one of the user's own messages, derived on the client. */
export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message the user wrote that the server has not acknowledged yet. */
export interface OutboxEntry {
  client_id: string;
  conversation_id: number;
  text: string;
  /** Local creation time (device clock), only for display and ordering of pending items. */
  created_at: number;
  /** Monotonic position in the outbox; drains in this order within a conversation. */
  order: number;
  state: 'pending' | 'failed';
  attempts: number;
  error?: string;
}

/** Error codes after which a send is worth retrying with the same client_id. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['rate_limited', 'internal', 'unavailable']);

export class ApiError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 0,
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
