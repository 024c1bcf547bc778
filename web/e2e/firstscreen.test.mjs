// End-to-end: the first screen of a new device. A device that holds nothing asks for its
// newest chats (`conversations`), draws them, and only then starts the first sync, whose pages
// (every chat, oldest change first) would otherwise be merged in the tasks before the list's
// first frame; the block list and the privacy settings, which the list does not show, are
// asked for after that frame too. A device that holds chats syncs at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, eventually, startBrowser, startServer } from './harness.mjs';

const PEERS = 45; // fewer than the list's windowing threshold (60): every row is in the page
const PASSWORD = 'first-screen-pw-1';
// Seeding registers 46 accounts from one address: the per-address limits are lifted for it.
const LIFTED = ['--rate-register-per-min', '100000', '--rate-login-per-min', '100000', '--rate-other-per-sec', '100000', '--rate-other-burst', '100000'];

let server;
let browser;

before(async () => {
  server = await startServer({ extraArgs: LIFTED });
  browser = await startBrowser();
  const alice = await api(server.base, 'POST', '/register', { username: 'alice', display_name: 'Alice', password: PASSWORD });
  assert.equal(alice.status, 201);
  for (let i = 0; i < PEERS; i++) {
    const name = `peer${String(i).padStart(2, '0')}`;
    const r = await api(server.base, 'POST', '/register', { username: name, display_name: `Peer ${i}`, password: PASSWORD });
    assert.equal(r.status, 201, JSON.stringify(r.data));
    const c = await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, r.data.token);
    assert.equal(c.status, 201);
    const m = await api(server.base, 'POST', `/conversations/${c.data.conversation.id}/messages`, { client_id: `p${i}`, text: `Hello from peer ${i}` }, r.data.token);
    assert.equal(m.status, 200, JSON.stringify(m.data));
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Records, in one sequence, the WebSocket frames the page sends and receives and the HTTP
 * requests it makes: [{ n, dir: 'sent' | 'received' | 'http', type, id, url }].
 */
function recordTraffic(page) {
  const log = [];
  let n = 0;
  const frame = (dir) => (f) => {
    try {
      const j = JSON.parse(String(f.payload));
      log.push({ n: n++, dir, type: j.type, id: j.id });
    } catch {
      // not JSON: not ours to check
    }
  };
  page.on('websocket', (ws) => {
    ws.on('framesent', frame('sent'));
    ws.on('framereceived', frame('received'));
  });
  page.on('request', (r) => log.push({ n: n++, dir: 'http', url: new URL(r.url()).pathname }));
  return log;
}

describe('first screen of a new device', () => {
  it('draws the newest chats before the first sync starts, then syncs every chat', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
    try {
      const page = await context.newPage();
      const log = recordTraffic(page);
      await page.goto(server.base + '/');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).last().click();

      // The newest chat is drawn on top from the `conversations` page.
      await page.locator('.chat-row').first().waitFor();
      assert.match(await page.locator('.chat-row .row-name').first().textContent(), /^Peer 44$/);

      // Then the sync brings every chat, with its last message.
      await eventually(async () => (await page.locator('.chat-row').count()) === PEERS, { message: `${PEERS} chats listed` });
      await page.locator('.banner-sync').waitFor({ state: 'detached' });
      assert.match(await page.locator('.chat-row', { hasText: 'Peer 0' }).first().textContent(), /Hello from peer 0/);

      // In that order on the wire: the `conversations` answer came before the first `sync` was
      // sent, and /blocks and /me/privacy were asked for after that answer.
      const ask = log.find((e) => e.dir === 'sent' && e.type === 'conversations');
      assert.ok(ask, 'a new device asks for its newest chats');
      const answer = log.find((e) => e.dir === 'received' && e.id === ask.id);
      assert.ok(answer, 'the conversations page was answered');
      const firstSync = log.find((e) => e.dir === 'sent' && e.type === 'sync');
      assert.ok(firstSync, 'the first sync was sent');
      assert.ok(firstSync.n > answer.n, `the first sync (#${firstSync.n}) waits for the newest chats (#${answer.n})`);
      for (const path of ['/api/v1/blocks', '/api/v1/me/privacy']) {
        const req = log.find((e) => e.dir === 'http' && e.url === path);
        assert.ok(req, `${path} asked for`);
        assert.ok(req.n > answer.n, `${path} (#${req.n}) after the first screen (#${answer.n})`);
      }
      const contacts = log.find((e) => e.dir === 'http' && e.url === '/api/v1/contacts');
      assert.ok(contacts, 'contacts asked for (their nicknames name the rows)');

      // The same device again: it holds its chats, so it syncs at once and asks for no first page.
      log.length = 0;
      await page.reload();
      await page.locator('.chat-row').first().waitFor();
      await page.locator('.banner-sync').waitFor({ state: 'detached' });
      await eventually(async () => log.some((e) => e.dir === 'sent' && e.type === 'sync'), { message: 'a sync after the reload' });
      assert.equal(log.filter((e) => e.dir === 'sent' && e.type === 'conversations').length, 0, 'no first page on a device that holds chats');
      assert.equal(await page.locator('.chat-row').count(), PEERS);
    } finally {
      await context.close();
    }
  });
});
