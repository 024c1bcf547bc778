// A device that follows docs/protocol.md, "Events lost between nodes": it applies message
// events keyed by seq, fetches what lies between when it sees a seq gap, and catches up
// all its conversations when told `resync` (or after reconnecting). Used by the cluster
// failure tests to check that nothing acknowledged is lost for an online device.
import { history } from '../node/lib/client.mjs';

export class FollowingDevice {
  constructor(name, client, server, token) {
    this.name = name;
    this.client = client;
    this.server = server;
    this.token = token;
    this.seqs = new Map();          // conversation -> Set of seqs held
    this.eventCopies = 0;           // message events for a seq already held (allowed, idempotent)
    this.gapFetches = 0;
    this.resyncs = 0;
    this.fetching = new Map();      // conversation -> promise of a running catch-up
    client.ws.on('message', (data) => {
      let f;
      try { f = JSON.parse(data.toString()); } catch { return; }
      if (f.type === 'message' && f.id === undefined) this.#onMessage(f.message);
      if (f.type === 'resync') {
        this.resyncs += 1;
        for (const conv of this.seqs.keys()) this.catchUp(conv);
      }
    });
  }

  follow(conv) {
    if (!this.seqs.has(conv)) this.seqs.set(conv, new Set());
  }

  held(conv) {
    return this.seqs.get(conv) ?? new Set();
  }

  max(conv) {
    let m = 0;
    for (const s of this.held(conv)) m = Math.max(m, s);
    return m;
  }

  #onMessage(m) {
    const have = this.seqs.get(m.conversation_id);
    if (!have) return;
    if (have.has(m.seq)) {
      this.eventCopies += 1;
      return;
    }
    const gap = have.size > 0 && m.seq > this.max(m.conversation_id) + 1;
    have.add(m.seq);
    if (gap) {
      this.gapFetches += 1;
      this.catchUp(m.conversation_id);
    }
  }

  /** Fetches every message after the contiguous prefix it holds (history after=). */
  catchUp(conv) {
    const running = this.fetching.get(conv);
    if (running) return running.then(() => this.catchUp(conv));
    const p = (async () => {
      const have = this.held(conv);
      let after = 0;
      while (have.has(after + 1)) after += 1;
      for (;;) {
        const page = await history(this.server, this.token, conv, { after, limit: 200 });
        for (const m of page.messages) have.add(m.seq);
        if (!page.has_more || page.messages.length === 0) break;
        after = page.messages[page.messages.length - 1].seq;
      }
    })().finally(() => this.fetching.delete(conv));
    this.fetching.set(conv, p);
    return p;
  }
}
