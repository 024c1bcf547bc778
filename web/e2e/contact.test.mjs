// End-to-end: the contact pane of a direct chat. Alice on a desktop (1440x900) and Bob on a
// phone-sized window (390x844) open each other's pane from the chat header: name, username,
// last seen, the photos shared in the chat, and block/unblock. Screenshots go to
// test-artifacts/; axe-core finds nothing on the pane.
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

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

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

describe('Contact pane', () => {
  it('shows who it is, last seen and the photos of the chat, on both screen sizes', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    bob = await newUser(PHONE, 'bob', 'Bob Builder', 'pw-bob-1234');
    conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, bob.token)).data.conversation.id;
    const up = await fetch(`${server.base}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/octet-stream' }, body: PNG });
    assert.equal(up.status, 201, await up.clone().text());
    const media = (await up.json()).media;
    await apiSend(bob.token, 'look', { media_id: media.media_id });
    await apiSend(bob.token, 'hi alice');

    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await alice.page.getByRole('button', { name: 'Contact info' }).click();
    const pane = alice.page.locator('#side-panel');
    await pane.getByRole('heading', { name: 'Contact info' }).waitFor();
    assert.match(await pane.textContent(), /Bob Builder/);
    assert.match(await pane.textContent(), /@bob/);
    await eventually(async () => /online|last seen/i.test(await pane.locator('[data-slot="last-seen"]').textContent()), { message: 'last seen line' });
    await pane.getByRole('heading', { name: 'Photos in this chat (1)' }).waitFor();
    assert.equal(await pane.locator('.contact-photos .photo').count(), 1);
    await alice.page.screenshot({ path: join(ARTIFACTS, 'contact-pane-desktop.png') });
    await axe(alice.page, 'desktop, contact pane');

    await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).click();
    await bob.page.locator('.chat-heading').click();
    await bob.page.locator('#side-panel').getByRole('heading', { name: 'Contact info' }).waitFor();
    assert.match(await bob.page.locator('#side-panel').textContent(), /@alice/);
    await bob.page.screenshot({ path: join(ARTIFACTS, 'contact-pane-phone.png') });
    await axe(bob.page, 'phone, contact pane');
  });

  it('mutes and unmutes the chat from the pane, as the server records it', async () => {
    const pane = alice.page.locator('#side-panel');
    const conv = async () => (await api(server.base, 'GET', '/conversations?limit=10', undefined, alice.token)).data.conversations
      .find((c) => c.kind === 'direct');
    await pane.getByLabel('Mute notifications').selectOption('8h');
    await pane.locator('.contact-mute', { hasText: 'Muted' }).waitFor();
    await eventually(async () => (await conv()).muted_until > Date.now(), { message: 'muted on the server' });
    await pane.getByLabel('Mute notifications').selectOption('off');
    await pane.locator('.contact-mute', { hasText: 'On' }).waitFor();
    await eventually(async () => (await conv()).muted_until === 0, { message: 'unmuted on the server' });
    await axe(alice.page, 'desktop, contact pane with notifications');
  });

  it('blocks and unblocks from the pane', async () => {
    const pane = alice.page.locator('#side-panel');
    await pane.getByRole('button', { name: 'Block Bob Builder' }).click();
    const dialog = alice.page.getByRole('dialog');
    await dialog.getByRole('button', { name: /^Block/ }).last().click();
    await pane.getByRole('button', { name: 'Unblock Bob Builder' }).waitFor();
    const blocks = (await api(server.base, 'GET', '/blocks', undefined, alice.token)).data.users.map((u) => u.username);
    assert.deepEqual(blocks, ['bob']);
    await pane.getByRole('button', { name: 'Unblock Bob Builder' }).click();
    await alice.page.getByRole('dialog').getByRole('button', { name: /^Unblock/ }).last().click();
    await pane.getByRole('button', { name: 'Block Bob Builder' }).waitFor();
    assertNoCspViolations(assert);
  });
});
