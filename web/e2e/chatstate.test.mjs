// End-to-end: pinned and archived chats are the user's own and follow them to every device.
// Alice on a desktop (1440x900) pins and archives chats; her phone (390x844), a second browser
// context logged into the same account, shows the pinned chat first and the archived one under
// "Archived". Screenshots go to test-artifacts/; axe-core finds nothing on either list.
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

async function login(viewport, username, password) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(server.base + '/');
  await page.getByRole('tab', { name: 'Log in' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).last().click();
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
  return { context, page };
}

async function chatMenu(page, item) {
  await page.getByRole('button', { name: 'Chat menu' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

const rowNames = (page) => page.locator('.chat-list .chat-row .row-name').allTextContents();

describe('Pinned and archived chats', () => {
  it('a pin on one device puts the chat first on the other', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    const others = {};
    for (const [u, name] of [['bob', 'Bob Builder'], ['carol', 'Carol Singer'], ['dan', 'Dan Dare']]) {
      others[u] = (await api(server.base, 'POST', '/register', { username: u, display_name: name, password: `pw-${u}-12345` })).data;
      conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, others[u].token)).data.conversation.id;
      await apiSend(others[u].token, `hello from ${u}`);
    }
    const phone = await login(PHONE, 'alice', 'pw-alice-123');
    bob = phone; // the second device of the same user
    await eventually(async () => (await rowNames(phone.page)).length === 3, { message: 'three chats on the phone' });
    assert.deepEqual(await rowNames(phone.page), ['Dan Dare', 'Carol Singer', 'Bob Builder']);

    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await chatMenu(alice.page, 'Pin chat');
    await eventually(async () => (await rowNames(phone.page))[0] === 'Bob Builder', { message: 'bob first on the phone' });
    assert.equal(await phone.page.locator('.chat-row', { hasText: 'Bob Builder' }).locator('.pin-mark').count(), 1);
    assert.deepEqual(await rowNames(alice.page), ['Bob Builder', 'Dan Dare', 'Carol Singer']);
    await phone.page.screenshot({ path: join(ARTIFACTS, 'pinned-phone.png') });
    await axe(phone.page, 'phone, a pinned chat');
  });

  it('an archived chat leaves the list on every device and waits under "Archived"', async () => {
    const phone = bob;
    await alice.page.locator('.chat-row', { hasText: 'Carol Singer' }).click();
    await chatMenu(alice.page, 'Archive chat');
    await eventually(async () => !(await rowNames(phone.page)).includes('Carol Singer'), { message: 'carol archived on the phone' });
    const toggle = phone.page.getByRole('button', { name: 'Archived (1)' });
    await toggle.waitFor();
    await toggle.click();
    await eventually(async () => JSON.stringify(await rowNames(phone.page)) === JSON.stringify(['Carol Singer']), { message: 'archive view' });
    await phone.page.screenshot({ path: join(ARTIFACTS, 'archived-phone.png') });
    await axe(phone.page, 'phone, archived chats');
    await phone.page.getByRole('button', { name: 'Back to chats' }).click();
    await alice.page.screenshot({ path: join(ARTIFACTS, 'pinned-archived-desktop.png') });
    await axe(alice.page, 'desktop, pinned and archived');

    // The server has it as Alice's own state only.
    const list = (await api(server.base, 'GET', '/conversations', undefined, alice.token)).data.conversations;
    const byName = Object.fromEntries(list.map((c) => [c.peer.username, c]));
    assert.equal(byName.bob.pinned, true);
    assert.equal(byName.carol.archived, true);
    assertNoCspViolations(assert);
  });
});
