import type { Conversation, Message, OutboxEntry } from '../core/types';

/**
 * IndexedDB persistence, one database per user: conversations, messages (keyed by
 * conversation_id + seq, so rewriting the same message is harmless), the outbox and a few
 * meta values (the sync cursor, receipts still owed to the server).
 */
export class LocalDb {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private db: IDBDatabase) {}

  static dbName(userId: number): string {
    return `parley-u${userId}`;
  }

  static open(userId: number): Promise<LocalDb> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(LocalDb.dbName(userId), 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('conversations', { keyPath: 'id' });
        db.createObjectStore('messages', { keyPath: ['conversation_id', 'seq'] });
        db.createObjectStore('outbox', { keyPath: 'client_id' });
        db.createObjectStore('meta');
      };
      req.onsuccess = () => resolve(new LocalDb(req.result));
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('database blocked'));
    });
  }

  static remove(userId: number): Promise<void> {
    return new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(LocalDb.dbName(userId));
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    });
  }

  close(): void {
    this.db.close();
  }

  private all<T>(store: string): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const req = this.db.transaction(store, 'readonly').objectStore(store).getAll();
      req.onsuccess = () => resolve(req.result as T[]);
      req.onerror = () => reject(req.error);
    });
  }

  loadConversations(): Promise<Conversation[]> {
    return this.all<Conversation>('conversations');
  }

  loadMessages(): Promise<Message[]> {
    return this.all<Message>('messages');
  }

  loadOutbox(): Promise<OutboxEntry[]> {
    return this.all<OutboxEntry>('outbox');
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const req = this.db.transaction('meta', 'readonly').objectStore('meta').get(key);
      req.onsuccess = () => resolve(req.result as T | undefined);
      req.onerror = () => reject(req.error);
    });
  }

  private transact(stores: string[], fn: (tx: IDBTransaction) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const tx = this.db.transaction(stores, 'readwrite');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
      fn(tx);
      // Every request is made above: commit now rather than after their success events reach
      // this thread. On a busy device that wait is long enough for a tab closed or reloaded
      // right after Send to abort the write.
      tx.commit?.();
    });
  }

  /** Writes are queued so they reach the database in the order they were made. */
  private write(stores: string[], fn: (tx: IDBTransaction) => void): Promise<void> {
    const p = this.queue.then(() => this.transact(stores, fn));
    this.queue = p.catch((e) => console.warn('local database write failed', e));
    return p;
  }

  /**
   * A write that starts now instead of behind the queue: the outbox, which must be on disk as
   * soon as the user pressed Send (a tab closed or reloaded right after sending must not lose
   * the message; behind a queue of chat saves on a busy device that took long enough to lose
   * it). Read-write transactions on the same store still run in the order they were created,
   * so the outbox's own writes stay in order. flush() waits for these too.
   */
  private writeNow(stores: string[], fn: (tx: IDBTransaction) => void): Promise<void> {
    const p = this.transact(stores, fn);
    const logged = p.catch((e) => console.warn('local database write failed', e));
    const before = this.queue;
    this.queue = Promise.all([before, logged]);
    return p;
  }

  save(conversations: Conversation[], messages: Message[]): Promise<void> {
    if (conversations.length === 0 && messages.length === 0) return Promise.resolve();
    return this.write(['conversations', 'messages'], (tx) => {
      const cs = tx.objectStore('conversations');
      for (const c of conversations) cs.put(c);
      const ms = tx.objectStore('messages');
      for (const m of messages) ms.put(m);
    });
  }

  putOutbox(e: OutboxEntry): Promise<void> {
    return this.writeNow(['outbox'], (tx) => tx.objectStore('outbox').put(e));
  }

  deleteOutbox(clientId: string): Promise<void> {
    return this.writeNow(['outbox'], (tx) => tx.objectStore('outbox').delete(clientId));
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.write(['meta'], (tx) => tx.objectStore('meta').put(value, key));
  }

  /** Resolves once every write queued so far has been committed. */
  flush(): Promise<unknown> {
    return this.queue;
  }
}
