// End-to-end: forwarding and copying a message. Alice on a desktop (1440x900) forwards a
// message Carol sent her into her chats with Bob and with a group; Bob, on a phone-sized
// window (390x844), sees it marked "Forwarded". "Copy text" puts the text on the clipboard.
// Screenshots go to test-artifacts/; axe-core finds nothing on the dialog and the label.
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

let carol;

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

describe('Forwarding and copying', () => {
  it('forwards to several chats at once; the copy shows "Forwarded" on the other side', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    bob = await newUser(PHONE, 'bob', 'Bob Builder', 'pw-bob-1234');
    carol = (await api(server.base, 'POST', '/register', { username: 'carol', display_name: 'Carol Singer', password: 'pw-carol-12' })).data;
    const withCarol = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, carol.token)).data.conversation;
    const withBob = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation;
    const group = (await api(server.base, 'POST', '/groups', { name: 'Planning', member_usernames: ['carol'] }, alice.token)).data.conversation;
    conversationId = withCarol.id;
    await apiSend(carol.token, 'The meeting moved to 3pm');

    await alice.page.locator('.chat-row', { hasText: 'Carol Singer' }).click();
    await alice.page.locator('.msg.in', { hasText: 'The meeting moved to 3pm' }).waitFor();
    await messageAction(alice.page, 'The meeting moved to 3pm', 'Forward');
    const dialog = alice.page.getByRole('dialog', { name: 'Forward message to…' });
    await dialog.waitFor();
    await dialog.getByRole('checkbox', { name: 'Bob Builder' }).check();
    await dialog.getByRole('checkbox', { name: 'Planning' }).check();
    assert.match(await dialog.locator('#forward-count').textContent(), /2 of 5/);
    await alice.page.screenshot({ path: join(ARTIFACTS, 'forward-dialog-desktop.png') });
    await axe(alice.page, 'desktop, forward dialog');
    await dialog.getByRole('button', { name: 'Forward', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).click();
    const copy = bob.page.locator('.msg.in', { hasText: 'The meeting moved to 3pm' });
    await copy.waitFor();
    assert.equal((await copy.locator('.forwarded-label').textContent()).trim(), 'Forwarded');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'forwarded-phone.png') });
    await axe(bob.page, 'phone, a forwarded message');

    const inGroup = (await api(server.base, 'GET', `/conversations/${group.id}/messages?limit=1`, undefined, carol.token)).data.messages[0];
    assert.equal(inGroup.forwarded, true);
    assert.equal(inGroup.sender_id, (await api(server.base, 'GET', '/me', undefined, alice.token)).data.user.id);
    const inBob = (await api(server.base, 'GET', `/conversations/${withBob.id}/messages?limit=1`, undefined, bob.token)).data.messages[0];
    assert.equal(inBob.text, 'The meeting moved to 3pm');
  });

  it('"Copy text" puts the message text on the clipboard', async () => {
    await alice.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    await messageAction(alice.page, 'The meeting moved to 3pm', 'Copy text');
    await eventually(async () => (await alice.page.evaluate(() => navigator.clipboard.readText())) === 'The meeting moved to 3pm', { message: 'clipboard' });
    assertNoCspViolations(assert);
  });
});
