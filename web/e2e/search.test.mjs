// End-to-end: the one search box. Alice on a desktop (1440x900) finds a chat by its name and
// a person she has no chat with yet by username, as well as messages; Bob on a phone-sized
// window (390x844) searches while offline and gets the messages his device holds, marked as
// such. Screenshots go to test-artifacts/; axe-core finds nothing on the results.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';
import { axe, bubble, messageAction, signUp } from './steps.mjs';

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
let alice; // { context, page, token }
let bob;
let conversationId;

async function apiSend(token, text, extra = {}) {
  const r = await api(server.base, 'POST', `/conversations/${conversationId}/messages`,
    { client_id: `e2e-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, text, ...extra }, token);
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.message;
}

const newUser = (viewport, username, displayName, password) =>
  signUp(browser, server, viewport, username, displayName, password);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('One search box', () => {
  it('finds chats and people by name as well as messages', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    bob = await newUser(PHONE, 'bob', 'Bob Builder', 'pw-bob-1234');
    await api(server.base, 'POST', '/register', { username: 'zoe', display_name: 'Zoe Zebra', password: 'pw-zoe-12345' });
    conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    await apiSend(alice.token, 'Pineapple pizza tonight?');
    await api(server.base, 'POST', '/groups', { name: 'Climbing Club', member_usernames: ['bob'] }, alice.token);

    const box = alice.page.getByLabel('Search messages');
    await box.fill('climb');
    const chats = alice.page.getByRole('region', { name: 'Chats' });
    await chats.getByRole('button', { name: 'Climbing Club' }).waitFor();
    await alice.page.screenshot({ path: join(ARTIFACTS, 'search-chats-desktop.png') });
    await axe(alice.page, 'desktop, chat results');
    await chats.getByRole('button', { name: 'Climbing Club' }).click();
    await eventually(async () => (await alice.page.locator('#chat-title').textContent()) === 'Climbing Club', { message: 'group opened' });

    await box.fill('zo');
    const people = alice.page.getByRole('region', { name: 'People' });
    await people.getByRole('button', { name: /Zoe Zebra/ }).click();
    await eventually(async () => (await alice.page.locator('#chat-title').textContent()) === 'Zoe Zebra', { message: 'chat with zoe started' });

    await box.fill('pineap');
    await alice.page.locator('.search-result[data-seq]').first().waitFor();
    assert.match(await alice.page.locator('.search-result[data-seq]').first().textContent(), /Pineapple/);
    assert.equal(await alice.page.locator('.offline-note').count(), 0, 'online results are the server\'s');
  });

  it('offline, it searches the messages on the device and says so', async () => {
    await bob.page.locator('.chat-row[data-kind="direct"]', { hasText: 'Alice Liddell' }).click();
    await bob.page.locator('.msg.in', { hasText: 'Pineapple pizza tonight?' }).waitFor();
    await bob.page.getByRole('button', { name: 'Back to chats' }).click();
    await bob.context.setOffline(true);
    await bob.page.getByLabel('Search messages').fill('pizza');
    await bob.page.locator('.offline-note').waitFor();
    assert.match(await bob.page.locator('.offline-note').textContent(), /Offline: showing messages saved on this device/);
    const hit = bob.page.locator('.search-result[data-seq]').first();
    await hit.waitFor();
    assert.match(await hit.locator('mark').first().textContent(), /pizza/i);
    await bob.page.screenshot({ path: join(ARTIFACTS, 'search-offline-phone.png') });
    await axe(bob.page, 'phone, offline search');
    await bob.context.setOffline(false);
    assertNoCspViolations(assert);
  });
});
