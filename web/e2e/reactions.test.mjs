// End-to-end: reactions. Two users in two browser contexts, Alice on a desktop (1440x900)
// and Bob on a phone-sized window (390x844), against the real parleyd: the quick pick and the
// full picker, chips with counts and who reacted, replacing and removing one's reaction,
// and a device that was offline catching up. Screenshots go to test-artifacts/; axe-core
// finds nothing on the picker and the chips.
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

const chip = (page, text, emoji) => bubble(page, text).locator('.reaction-chip', { hasText: emoji });
// One read of the chip's count: a chip that went away between a count() and a textContent()
// made textContent() wait 30 s for it (past the eventually() around it).
const chipCount = async (page, text, emoji) => {
  const counts = await chip(page, text, emoji).locator('.reaction-count').allTextContents();
  return counts.length === 0 ? 0 : Number(counts[0].trim());
};

describe('Reactions', () => {
  it('a quick-pick reaction shows on both sides with who reacted', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    bob = await newUser(PHONE, 'bob', 'Bob Builder', 'pw-bob-1234');
    conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    await apiSend(alice.token, 'Movie night?');
    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).click();
    await bob.page.locator('.msg.in', { hasText: 'Movie night?' }).waitFor();

    await messageAction(bob.page, 'Movie night?', 'React');
    const dialog = bob.page.getByRole('dialog', { name: 'React to message' });
    await dialog.waitFor();
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reactions-picker-phone.png') });
    await axe(bob.page, 'phone, reaction picker');
    await dialog.getByRole('button', { name: '👍' }).click();
    await dialog.waitFor({ state: 'detached' });

    await eventually(async () => (await chipCount(bob.page, 'Movie night?', '👍')) === 1, { message: 'chip on bob' });
    assert.equal(await chip(bob.page, 'Movie night?', '👍').getAttribute('aria-pressed'), 'true');
    await eventually(async () => (await chipCount(alice.page, 'Movie night?', '👍')) === 1, { message: 'chip on alice' });
    assert.equal(await chip(alice.page, 'Movie night?', '👍').getAttribute('title'), 'Bob Builder');
    assert.equal(await chip(alice.page, 'Movie night?', '👍').getAttribute('aria-pressed'), 'false');

    // Alice joins in by clicking the chip.
    await chip(alice.page, 'Movie night?', '👍').click();
    await eventually(async () => (await chipCount(bob.page, 'Movie night?', '👍')) === 2, { message: 'two on bob' });
    assert.equal(await chip(alice.page, 'Movie night?', '👍').getAttribute('title'), 'Bob Builder and You');
    await alice.page.screenshot({ path: join(ARTIFACTS, 'reactions-desktop.png') });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reactions-phone.png') });
    await axe(alice.page, 'desktop, reaction chips');
    await axe(bob.page, 'phone, reaction chips');
  });

  it('the full picker replaces a reaction, and clicking one\'s own chip removes it', async () => {
    await messageAction(bob.page, 'Movie night?', 'React');
    const dialog = bob.page.getByRole('dialog', { name: 'React to message' });
    await dialog.getByRole('button', { name: 'More' }).click();
    await dialog.getByRole('group', { name: 'Things' }).waitFor();
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reactions-full-picker-phone.png') });
    await axe(bob.page, 'phone, full reaction picker');
    await dialog.getByRole('group', { name: 'Things' }).getByRole('button', { name: '🚀' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => (await chipCount(alice.page, 'Movie night?', '🚀')) === 1 && (await chipCount(alice.page, 'Movie night?', '👍')) === 1,
      { message: 'replaced on alice' });

    await chip(bob.page, 'Movie night?', '🚀').click();
    await eventually(async () => (await chipCount(alice.page, 'Movie night?', '🚀')) === 0, { message: 'removed on alice' });
    const page = (await api(server.base, 'GET', `/conversations/${conversationId}/messages?limit=1`, undefined, bob.token)).data;
    assert.deepEqual(page.messages[0].reactions, [{ emoji: '👍', user_ids: [page.messages[0].sender_id] }]);
  });

  it('a device that was offline catches up with reactions made meanwhile', async () => {
    await alice.context.setOffline(true);
    await alice.page.locator('.banner, [role="status"]', { hasText: /offline|connecting/i }).first().waitFor().catch(() => undefined);
    const r = await api(server.base, 'PUT', `/conversations/${conversationId}/messages/1/reaction`, { emoji: '🎉' }, bob.token);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    await alice.context.setOffline(false);
    await eventually(async () => (await chipCount(alice.page, 'Movie night?', '🎉')) === 1, { timeout: 30_000, message: 'caught up after reconnecting' });
    assertNoCspViolations(assert);
  });
});
