// End-to-end: the delivered receipts a device owes after its first sync, one per chat with new
// messages, are paced. The server runs with a small in-flight limit (--ws-max-inflight 6, far
// under the client's own bound of 32), so a client that sent them all at once would see many
// refused; the client must retry each one until every sender's message shows "delivered".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, assertNoCspViolations, eventually, startBrowser, startServer } from './harness.mjs';
import { bubble, signUp } from './steps.mjs';

const DESKTOP = { width: 1280, height: 800 };
const CHATS = 60;
const SERVER_IN_FLIGHT = 6;
const CLIENT_IN_FLIGHT = 32; // RECEIPTS_IN_FLIGHT in src/core/receipts.ts
const PASSWORD = 'receipts-pw-123';

let server;
let browser;

before(async () => {
  server = await startServer({ extraArgs: ['--ws-max-inflight', String(SERVER_IN_FLIGHT)] });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

function must(r, what) {
  assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

/** Registers through the API, waiting as told when registrations from this address are limited. */
async function registerPaced(username, display_name) {
  for (;;) {
    const r = await api(server.base, 'POST', '/register', { username, display_name, password: PASSWORD });
    if (r.status !== 429) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/**
 * Watches one page's WebSocket traffic: the receipt requests it sends, their answers, and
 * the most that were ever unanswered at once.
 */
function watchReceipts(page) {
  const w = { sent: new Map(), ok: [], refused: [], other: [], mostInFlight: 0 };
  page.on('websocket', (ws) => {
    const open = new Map();
    ws.on('framesent', ({ payload }) => {
      let f;
      try { f = JSON.parse(payload); } catch { return; }
      if (f.type !== 'delivered' && f.type !== 'read') return;
      open.set(f.id, f);
      w.sent.set(f.id, f);
      w.mostInFlight = Math.max(w.mostInFlight, open.size);
    });
    ws.on('framereceived', ({ payload }) => {
      let f;
      try { f = JSON.parse(payload); } catch { return; }
      const req = f.id !== undefined ? open.get(f.id) : undefined;
      if (!req) return;
      open.delete(f.id);
      if (f.type === 'ok') w.ok.push(req);
      else if (f.type === 'error' && f.code === 'rate_limited') w.refused.push({ req, retry_after_ms: f.retry_after_ms });
      else w.other.push({ req, answer: f });
    });
    ws.on('close', () => open.clear());
  });
  return w;
}

describe('receipts after the first sync', () => {
  let reader;
  let senders = [];

  it('a device back after many chats got messages sends every delivered receipt, at a bounded pace', async () => {
    reader = await signUp(browser, server, DESKTOP, 'reader', 'Rita Reader', PASSWORD);
    await reader.page.close(); // away while the messages arrive

    for (let i = 0; i < CHATS; i++) {
      const username = `sender${String(i).padStart(2, '0')}`;
      const r = must(await registerPaced(username, `Sender ${i}`), 'register');
      const c = must(await api(server.base, 'POST', '/conversations', { peer_username: 'reader' }, r.token), 'open chat').conversation;
      for (const n of [1, 2]) {
        must(await api(server.base, 'POST', `/conversations/${c.id}/messages`, { client_id: `s${i}-${n}`, text: `Hello ${n} from sender ${i}` }, r.token), 'send');
      }
      senders.push({ username, token: r.token, conversation: c.id, session: { token: r.token, user: r.user, session_id: r.session_id } });
    }

    // Two senders watch their chat in a browser: the first and the last of the chat list.
    const watched = [senders[0], senders[CHATS - 1]];
    for (const s of watched) {
      const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' });
      await context.addInitScript((session) => {
        if (!localStorage.getItem('parley.session')) localStorage.setItem('parley.session', JSON.stringify(session));
      }, s.session);
      s.page = await context.newPage();
      s.page.on('pageerror', (e) => console.error('[page error]', e.message));
      await s.page.goto(`${server.base}/c/${s.conversation}`);
      await bubble(s.page, `Hello 2 from sender ${senders.indexOf(s)}`).waitFor();
      const tick = bubble(s.page, `Hello 2 from sender ${senders.indexOf(s)}`).locator('.tick');
      assert.equal(await tick.getAttribute('data-status'), 'sent', 'not delivered while the reader is away');
    }

    reader.page = await reader.context.newPage();
    reader.page.on('pageerror', (e) => console.error('[page error]', e.message));
    const w = watchReceipts(reader.page);
    await reader.page.goto(server.base + '/');
    await reader.page.getByRole('button', { name: 'Main menu' }).waitFor();

    // Every sender's chat shows the reader's delivered watermark at the last message.
    const undelivered = async () => {
      const left = [];
      for (const s of senders) {
        const c = must(await api(server.base, 'GET', `/conversations/${s.conversation}`, undefined, s.token), 'get chat').conversation;
        const me = c.members.find((m) => m.user.username === 'reader');
        if (!(me && me.delivered_seq === 2)) left.push(s.username);
      }
      return left;
    };
    let left = [];
    await eventually(async () => (left = await undelivered()).length === 0, { timeout: 60_000, interval: 500, message: 'every sender sees "delivered"' })
      .catch((e) => { throw new Error(`${e.message}: still waiting for ${left.join(', ')}`); });

    // ... and so do the senders watching in a browser, without reloading.
    for (const s of watched) {
      const tick = bubble(s.page, `Hello 2 from sender ${senders.indexOf(s)}`).locator('.tick');
      await eventually(async () => (await tick.getAttribute('data-status')) === 'delivered', { timeout: 30_000, message: `${s.username} sees the delivered tick` });
    }

    // One delivered receipt per chat was enough (a refused one is sent again), never more than
    // the client's bound unanswered, and nothing was refused for good.
    assert.ok(w.mostInFlight <= CLIENT_IN_FLIGHT, `at most ${CLIENT_IN_FLIGHT} receipts unanswered at once (saw ${w.mostInFlight})`);
    assert.deepEqual(w.other.map((o) => o.answer), [], 'no receipt answered with anything but ok or rate_limited');
    const okChats = new Set(w.ok.filter((f) => f.type === 'delivered' && f.seq === 2).map((f) => f.conversation_id));
    for (const s of senders) assert.ok(okChats.has(s.conversation), `the delivered receipt for ${s.username}'s chat was answered ok`);
    for (const { req, retry_after_ms } of w.refused) {
      assert.ok(Number.isInteger(retry_after_ms), `a refusal says when to retry: ${JSON.stringify(req)}`);
      assert.ok(okChats.has(req.conversation_id), `a refused receipt was sent again and taken: ${JSON.stringify(req)}`);
    }
    const sentDelivered = [...w.sent.values()].filter((f) => f.type === 'delivered');
    assert.ok(sentDelivered.length <= CHATS + w.refused.length, `one delivered receipt per chat plus retries (${sentDelivered.length} sent, ${w.refused.length} refused)`);
    console.log(`${sentDelivered.length} delivered receipts sent, ${w.refused.length} refused and retried, at most ${w.mostInFlight} in flight`);
  });

  it('reading a chat turns the sender\'s tick to "read"', async () => {
    const s = senders[0];
    await reader.page.locator('.chat-row', { hasText: 'Hello 2 from sender 0' }).click();
    await bubble(reader.page, 'Hello 2 from sender 0').waitFor();
    const tick = bubble(s.page, 'Hello 2 from sender 0').locator('.tick');
    await eventually(async () => (await tick.getAttribute('data-status')) === 'read', { timeout: 30_000, message: 'the sender sees "read"' });
  });

  it('no Content-Security-Policy violations', () => {
    assertNoCspViolations(assert);
  });
});
