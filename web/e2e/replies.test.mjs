// End-to-end: replying to a message. Two users in two browser contexts, Alice on a desktop
// (1440x900) and Bob on a phone-sized window (390x844), against the real parleyd: the quote
// shows sender and snippet, follows the original's edit and deletion, and clicking it scrolls
// to the original, loading older history first. Screenshots go to test-artifacts/; axe-core
// finds nothing on the screens with a reply bar and quotes.
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
  server = await startServer({ extraArgs: ['--rate-send-per-sec', '0'] });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('Replies', () => {
  it('a reply shows the quoted sender and text on both sides', async () => {
    alice = await newUser(DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    bob = await newUser(PHONE, 'bob', 'Bob Builder', 'pw-bob-1234');
    conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    // Far more than a first screen loads, so the first message is not held by the browsers.
    await apiSend(alice.token, 'The very first message');
    for (let i = 1; i <= 120; i++) await apiSend(i % 2 ? bob.token : alice.token, `filler ${i}`);
    await apiSend(alice.token, 'Dinner at 7?');

    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).click();
    await bob.page.locator('.msg.in', { hasText: 'Dinner at 7?' }).waitFor();

    await messageAction(bob.page, 'Dinner at 7?', 'Reply');
    const bar = bob.page.getByRole('group', { name: 'Replying to a message' });
    await bar.waitFor();
    assert.match(await bar.textContent(), /Replying to Alice Liddell/);
    assert.match(await bar.textContent(), /Dinner at 7\?/);
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reply-composer-phone.png') });
    await axe(bob.page, 'phone, composing a reply');

    // Escape drops the reply; the menu brings it back.
    await bob.page.getByLabel(/^Message /).press('Escape');
    await bar.waitFor({ state: 'detached' });
    await messageAction(bob.page, 'Dinner at 7?', 'Reply');
    await bob.page.getByLabel(/^Message /).fill('Yes, see you there');
    await bob.page.keyboard.press('Enter');
    await bar.waitFor({ state: 'detached' });

    const onAlice = alice.page.locator('.msg.in', { hasText: 'Yes, see you there' });
    await onAlice.waitFor();
    const quote = onAlice.locator('.reply-quote');
    assert.equal((await quote.locator('.reply-sender').textContent()).trim(), 'You');
    assert.equal((await quote.locator('.reply-snippet').textContent()).trim(), 'Dinner at 7?');
    const onBob = bob.page.locator('.msg.out', { hasText: 'Yes, see you there' }).locator('.reply-quote');
    await eventually(async () => (await onBob.locator('.reply-sender').textContent()).trim() === 'Alice Liddell', { message: 'quote on bob' });

    // The server stored the reply.
    const page = (await api(server.base, 'GET', `/conversations/${conversationId}/messages?limit=1`, undefined, alice.token)).data;
    assert.equal(page.messages[0].text, 'Yes, see you there');
    assert.equal(page.messages[0].reply_to, page.messages[0].seq - 1);
    await alice.page.screenshot({ path: join(ARTIFACTS, 'reply-desktop.png') });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reply-phone.png') });
    await axe(alice.page, 'desktop, a reply');
    await axe(bob.page, 'phone, a reply');
  });

  it('the quote follows the edit and the deletion of the original', async () => {
    await messageAction(alice.page, 'Dinner at 7?', 'Edit');
    const editor = alice.page.getByLabel('Edit message');
    await editor.fill('Dinner at 8?');
    await editor.press('Enter');
    const quoteOnBob = bob.page.locator('.msg.out', { hasText: 'Yes, see you there' }).locator('.reply-snippet');
    await eventually(async () => (await quoteOnBob.textContent()).trim() === 'Dinner at 8?', { message: 'edited quote' });

    await messageAction(alice.page, 'Dinner at 8?', 'Delete');
    const dialog = alice.page.getByRole('dialog', { name: 'Delete message?' });
    await dialog.getByRole('button', { name: 'Delete for everyone' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => (await quoteOnBob.textContent()).trim() === 'Deleted message', { message: 'deleted quote on bob' });
    const quoteOnAlice = alice.page.locator('.msg.in', { hasText: 'Yes, see you there' }).locator('.reply-snippet');
    await eventually(async () => (await quoteOnAlice.textContent()).trim() === 'Deleted message', { message: 'deleted quote on alice' });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reply-deleted-phone.png') });
  });

  it('clicking a quote of an old message loads history back to it and shows it', async () => {
    await apiSend(alice.token, 'Remember this one?', { reply_to: 1 });
    const reply = bob.page.locator('.msg.in', { hasText: 'Remember this one?' });
    await reply.waitFor();
    assert.equal(await bob.page.locator('.msg[data-seq="1"]').count(), 0, 'the original is not loaded yet');
    // The quote is fetched on its own, before any history is loaded.
    const snippet = reply.locator('.reply-snippet');
    await eventually(async () => (await snippet.textContent()).trim() === 'The very first message', { message: 'old quote fetched' });
    assert.equal((await reply.locator('.reply-sender').textContent()).trim(), 'Alice Liddell');

    await reply.locator('.reply-quote').click();
    const original = bob.page.locator('.msg[data-seq="1"]');
    await original.waitFor();
    await eventually(async () => (await original.getAttribute('class')).includes('highlighted'), { message: 'original highlighted' });
    await eventually(async () => {
      const box = await original.boundingBox();
      return box && box.y >= 0 && box.y + box.height <= PHONE.height;
    }, { message: 'original scrolled into view' });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'reply-jumped-phone.png') });
    await axe(bob.page, 'phone, after jumping to the original');
    assertNoCspViolations(assert);
  });
});
