// A device as docs/protocol.md describes a well-behaved client: it reconnects with
// exponential backoff and jitter, authenticates, catches up every conversation it follows
// (history after the seqs it holds), and keeps an outbox: a send not acknowledged when
// the connection dropped is sent again, with the same client_id, after reconnecting.
import { history, openSocket } from '../node/lib/client.mjs';

export class ResilientDevice {
  constructor(name, proxy, token) {
    this.name = name;
    this.proxy = proxy;
    this.token = token;
    this.held = new Map();        // conversation -> Map seq -> client_id
    this.outbox = new Map();      // client_id -> {conv, text, resolve, reqId}
    this.byReq = new Map();       // request id -> client_id (this connection)
    this.client = null;
    this.nextReq = 1;
    this.connects = 0;
    this.disconnectedAt = null;
    this.resumeMs = [];           // per reconnection: from the drop to ready
    this.stopped = false;
    this.errors = [];             // answers to sends other than ack (retried)
  }

  follow(conv) {
    if (!this.held.has(conv)) this.held.set(conv, new Map());
  }

  async start() {
    await this.#connectLoop();
  }

  stop() {
    this.stopped = true;
    this.client?.terminate();
  }

  /** Resolves with the acknowledged message once the server has it (across reconnects). */
  send(conv, clientId, text) {
    return new Promise((resolve) => {
      this.outbox.set(clientId, { conv, text, resolve });
      this.#transmit(clientId);
    });
  }

  #transmit(clientId) {
    const item = this.outbox.get(clientId);
    if (!item || !this.client?.isOpen || !this.ready) return;
    const id = `q${this.nextReq++}`;
    this.byReq.set(id, clientId);
    this.client.send({ type: 'send', id, conversation_id: item.conv, client_id: clientId, text: item.text });
  }

  #record(m) {
    const conv = this.held.get(m.conversation_id);
    if (conv && !conv.has(m.seq)) conv.set(m.seq, m.client_id);
  }

  async #connectLoop() {
    let delay = 100;
    for (;;) {
      if (this.stopped) return;
      try {
        const client = await openSocket(this.proxy, { timeoutMs: 5000 });
        this.#attach(client);
        client.send({ type: 'auth', token: this.token });
        const ready = await client.next((f) => f.type === 'ready' || f.type === 'error', 5000, 'ready');
        if (ready.type !== 'ready') throw new Error(`auth: ${JSON.stringify(ready)}`);
        this.ready = true;
        this.connects += 1;
        if (this.disconnectedAt !== null) this.resumeMs.push(Date.now() - this.disconnectedAt);
        this.disconnectedAt = null;
        for (const clientId of this.outbox.keys()) this.#transmit(clientId);
        for (const conv of this.held.keys()) await this.catchUp(conv);
        return;
      } catch {
        this.client?.terminate();
        // Backoff with jitter: 100 ms doubling to 2 s, each wait +-50%.
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  #attach(client) {
    this.client = client;
    this.ready = false;
    this.byReq.clear();
    client.ws.on('message', (data) => {
      let f;
      try { f = JSON.parse(data.toString()); } catch { return; }
      if (f.type === 'message' && f.id === undefined) this.#record(f.message);
      if (f.type === 'resync') for (const conv of this.held.keys()) void this.catchUp(conv).catch(() => {});
      if (f.id !== undefined && this.byReq.has(f.id)) {
        const clientId = this.byReq.get(f.id);
        this.byReq.delete(f.id);
        const item = this.outbox.get(clientId);
        if (f.type === 'ack' && item) {
          this.outbox.delete(clientId);
          item.resolve(f.message);
        } else if (item) {
          this.errors.push(f);
          setTimeout(() => this.#transmit(clientId), 200);  // e.g. unavailable while draining
        }
      }
    });
    client.closed.then(() => {
      if (this.client !== client || this.stopped) return;
      this.ready = false;
      this.disconnectedAt = Date.now();
      void this.#connectLoop();
    });
  }

  async catchUp(conv) {
    const have = this.held.get(conv);
    let after = 0;
    while (have.has(after + 1)) after += 1;
    for (;;) {
      const page = await history(this.proxy, this.token, conv, { after, limit: 200 });
      for (const m of page.messages) this.#record(m);
      if (!page.has_more || page.messages.length === 0) return;
      after = page.messages[page.messages.length - 1].seq;
    }
  }
}
