// End-to-end: presence, last seen, typing, username suggestions, contacts, blocking and the
// last-seen privacy setting, with two browser contexts against the real parleyd (started with
// a short offline grace so "last seen" shows quickly).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const LAST_SEEN = /^last seen today at \d\d:\d\d$/;

let server;
let browser;
let alice; // { context, page }
let bob;

async function newUser(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return { context, page };
}

async function register(page, username, displayName, password) {
  await page.goto(server.base + '/');
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Your name').fill(displayName);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).last().click();
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
}

const composer = (page) => page.getByRole('textbox', { name: /^Message / });
const sub = (page) => page.locator('#chat-sub');

async function subIs(page, expected, message) {
  let t = '';
  await eventually(
    async () => {
      t = (await sub(page).textContent()).trim();
      return expected instanceof RegExp ? expected.test(t) : t === expected;
    },
    { message: message ?? `chat header to say ${expected}` },
  ).catch((e) => {
    throw new Error(`${e.message} (it says "${t}")`);
  });
}

/** Alice's page goes away (her only device) and comes back in the same context. */
async function aliceLeaves() {
  await alice.page.close();
}
async function aliceReturns(path = '/') {
  alice.page = await alice.context.newPage();
  alice.page.on('pageerror', (e) => console.error('[page error]', e.message));
  await alice.page.goto(server.base + path);
  await alice.page.getByRole('button', { name: 'Main menu' }).waitFor();
}

before(async () => {
  server = await startServer({ extraArgs: ['--presence-offline-grace-ms', '300'] });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('presence, typing, contacts and blocking', () => {
  let aliceChatPath;

  it('suggests people by username prefix and opens the chat from the keyboard; the peer shows "online"', async () => {
    alice = await newUser();
    bob = await newUser();
    await register(alice.page, 'alice', 'Alice Liddell', 'pw-alice-123');
    await register(bob.page, 'bob', 'Bob Builder', 'pw-bob-1234');
    await register((await newUser()).page, 'albert', 'Albert Hall', 'pw-albert-12');

    // Alice writes first, with the plain username.
    await alice.page.getByLabel('Start a chat with username').fill('bob');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();
    aliceChatPath = new URL(alice.page.url()).pathname;
    await composer(alice.page).fill('Hi Bob');
    await alice.page.keyboard.press('Enter');

    // Bob types a prefix: both "al..." users are suggested; arrow keys pick Alice.
    const box = bob.page.getByRole('combobox', { name: 'Start a chat with username' });
    await box.click();
    await bob.page.keyboard.type('al');
    const options = bob.page.getByRole('listbox', { name: 'Suggested people' }).getByRole('option');
    await eventually(async () => (await options.count()) === 2, { message: 'two suggestions' });
    assert.deepEqual(
      (await options.locator('.person-sub').allTextContents()).map((s) => s.trim()),
      ['@albert', '@alice'],
    );
    await bob.page.keyboard.press('ArrowDown');
    await bob.page.keyboard.press('ArrowDown');
    assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
    assert.equal(await box.getAttribute('aria-activedescendant'), await options.nth(1).getAttribute('id'));
    await bob.page.keyboard.press('Enter');
    await eventually(async () => (await bob.page.locator('#chat-title').textContent()) === 'Alice Liddell', { message: 'chat with Alice' });
    await bob.page.locator('.msg.in', { hasText: 'Hi Bob' }).waitFor();

    await subIs(bob.page, 'online');
    await subIs(alice.page, 'online');
    // The green dot on Alice's avatar in Bob's list.
    const row = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.locator('.online-dot').waitFor();
    assert.match(await row.textContent(), /, online/, 'the row\'s accessible name says online');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'presence-online-desktop.png') });
  });

  it('shows "typing..." in the header and the list while Alice types, and clears it when she sends', async () => {
    await composer(alice.page).click();
    await alice.page.keyboard.type('Are you coming', { delay: 30 });
    await subIs(bob.page, 'typing...', 'typing while Alice types');
    const preview = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).locator('.preview-text');
    assert.equal((await preview.textContent()).trim(), 'typing...');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'presence-typing-desktop.png') });
    await bob.page.setViewportSize(PHONE);
    await subIs(bob.page, 'typing...');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'presence-typing-phone.png') });
    await alice.page.keyboard.press('Enter');
    await bob.page.locator('.msg.in', { hasText: 'Are you coming' }).waitFor();
    await subIs(bob.page, 'online', 'typing to clear when the message arrives');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'presence-online-phone.png') });
    await bob.page.setViewportSize(DESKTOP);

    // Typing and then pausing: the indicator goes after the idle stop (3 s) at the latest.
    // (The server forwards at most one typing frame per second, bursts of 3: let it refill.)
    await alice.page.waitForTimeout(2500);
    await composer(alice.page).click();
    await alice.page.keyboard.type('hm', { delay: 30 });
    await subIs(bob.page, 'typing...', 'typing after a pause');
    await eventually(async () => (await sub(bob.page).textContent()).trim() === 'online', { timeout: 8000, message: 'typing to stop when idle' });
    // Blur stops it at once.
    await alice.page.waitForTimeout(1500);
    await alice.page.keyboard.type('m', { delay: 30 });
    await subIs(bob.page, 'typing...', 'typing again');
    await alice.page.locator('#chat-title').click();
    await eventually(async () => (await sub(bob.page).textContent()).trim() === 'online', { timeout: 2500, message: 'typing to stop on blur' });
    await composer(alice.page).fill('');
  });

  it('shows "last seen today at ..." once Alice closes her page, and "online" when she is back', async () => {
    await aliceLeaves();
    await subIs(bob.page, LAST_SEEN);
    assert.equal(await bob.page.locator('.chat-row .online-dot').count(), 0);
    await aliceReturns(aliceChatPath);
    await subIs(bob.page, 'online');
  });

  it('Bob adds Alice to his contacts with a nickname and sees it in his list and header', async () => {
    await bob.page.getByRole('button', { name: 'Chat menu' }).click();
    await bob.page.getByRole('menuitem', { name: 'Add to contacts' }).click();
    const nick = bob.page.getByLabel('Nickname');
    assert.equal(await nick.inputValue(), 'Alice Liddell');
    await nick.fill('Ally');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await eventually(async () => (await bob.page.locator('#chat-title').textContent()) === 'Ally', { message: 'nickname in the header' });
    await bob.page.locator('.chat-row .row-name', { hasText: 'Ally' }).waitFor();
    assert.equal(await bob.page.locator('.chat-row .row-name', { hasText: 'Alice Liddell' }).count(), 0);

    // The settings panel lists the contact; renaming it there changes the list too.
    await bob.page.getByRole('button', { name: 'Settings and contacts' }).click();
    const contact = bob.page.locator('.person.contact', { hasText: 'Ally' });
    await contact.waitFor();
    assert.match(await contact.textContent(), /Alice Liddell · @alice/);
    await contact.getByRole('button', { name: 'Rename Ally' }).click();
    await bob.page.getByLabel('Nickname').fill('Alice L.');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await bob.page.locator('.person.contact', { hasText: 'Alice L.' }).waitFor();
    await bob.page.getByRole('button', { name: 'Close settings' }).click();
    await bob.page.locator('.chat-row .row-name', { hasText: 'Alice L.' }).waitFor();
    assert.equal(await bob.page.locator('#chat-title').textContent(), 'Alice L.');
    // On the server too.
    const login = await api(server.base, 'POST', '/login', { username: 'bob', password: 'pw-bob-1234' });
    const contacts = await api(server.base, 'GET', '/contacts', undefined, login.data.token);
    assert.equal(contacts.data.contacts.length, 1);
    assert.equal(contacts.data.contacts[0].nickname, 'Alice L.');
    await api(server.base, 'POST', '/logout', {}, login.data.token);
  });

  it('"Hide my last seen" hides it from Bob (online still shows)', async () => {
    await alice.page.getByRole('button', { name: 'Settings and contacts' }).click();
    const toggle = alice.page.getByRole('switch', { name: 'Hide my last seen' });
    await eventually(async () => !(await toggle.isDisabled()), { message: 'privacy loaded' });
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    await eventually(async () => {
      const login = await api(server.base, 'POST', '/login', { username: 'alice', password: 'pw-alice-123' });
      const p = await api(server.base, 'GET', '/me/privacy', undefined, login.data.token);
      await api(server.base, 'POST', '/logout', {}, login.data.token);
      return p.data.hide_last_seen === true;
    }, { message: 'privacy stored' });
    await subIs(bob.page, 'online');

    await aliceLeaves();
    await subIs(bob.page, '', 'no last seen for Bob');
    await bob.page.waitForTimeout(800);
    assert.equal((await sub(bob.page).textContent()).trim(), '');
    // A reload (fresh subscription) does not reveal it either.
    await bob.page.reload();
    await bob.page.locator('#chat-title').waitFor();
    await bob.page.waitForTimeout(1000);
    assert.equal((await sub(bob.page).textContent()).trim(), '');

    await aliceReturns();
    await subIs(bob.page, 'online');
    await alice.page.getByRole('button', { name: 'Settings and contacts' }).click();
    const again = alice.page.getByRole('switch', { name: 'Hide my last seen' });
    await eventually(async () => (await again.isChecked()) && !(await again.isDisabled()), { message: 'stored setting shown' });
    await again.uncheck();
    await eventually(async () => !(await again.isChecked()) && !(await again.isDisabled()), { message: 'setting off' });
    await alice.page.getByRole('button', { name: 'Close settings' }).click();
  });

  it('after Alice blocks Bob his next message looks sent (one tick) to him and never reaches her', async () => {
    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await alice.page.getByRole('button', { name: 'Chat menu' }).click();
    await alice.page.getByRole('menuitem', { name: 'Block' }).click();
    // Cancel first, then confirm.
    await alice.page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await alice.page.locator('dialog[open]').count(), 0);
    await alice.page.getByRole('button', { name: 'Chat menu' }).click();
    await alice.page.getByRole('menuitem', { name: 'Block' }).click();
    assert.match(await alice.page.locator('#block-title').textContent(), /^Block Bob Builder\?$/);
    await alice.page.getByRole('dialog').getByRole('button', { name: 'Block', exact: true }).click();
    await eventually(async () => (await alice.page.locator('dialog[open]').count()) === 0, { message: 'dialog closed' });
    // Alice looks at another chat, so a message from Bob would count as unread.
    await alice.page.goto(server.base + '/');
    await alice.page.getByRole('button', { name: 'Main menu' }).waitFor();

    await composer(bob.page).fill('Are you there?');
    await bob.page.keyboard.press('Enter');
    const mine = bob.page.locator('.msg.out', { hasText: 'Are you there?' });
    await eventually(async () => (await mine.getAttribute('data-status')) === 'sent', { message: 'one tick: sent' });
    assert.equal(await mine.locator('.undelivered').count(), 0, 'nothing says it failed');
    assert.doesNotMatch(await mine.textContent(), /block|deliver/i);
    // It stays at one tick: never delivered, never read.
    await bob.page.waitForTimeout(1500);
    assert.equal(await mine.getAttribute('data-status'), 'sent');

    // Alice sees nothing: no message, no unread badge, no "(1)" in the title.
    const aliceRow = alice.page.locator('.chat-row', { hasText: 'Bob Builder' });
    assert.equal(await aliceRow.locator('.badge').count(), 0, 'no unread badge');
    assert.doesNotMatch(await aliceRow.textContent(), /Are you there/);
    assert.equal(await alice.page.title(), 'Parley');
    const login = await api(server.base, 'POST', '/login', { username: 'alice', password: 'pw-alice-123' });
    const convId = Number(/\/c\/(\d+)/.exec(aliceChatPath)[1]);
    const hist = await api(server.base, 'GET', `/conversations/${convId}/messages?limit=50`, undefined, login.data.token);
    assert.ok(!hist.data.messages.some((m) => m.text === 'Are you there?'), 'its text never reaches her');
    const listed = await api(server.base, 'GET', '/conversations', undefined, login.data.token);
    assert.equal(listed.data.conversations.find((c) => c.id === convId).unread, 0);

    // After reloads on both sides nothing changes: Bob keeps one tick and sees none of Alice's
    // presence; Alice (whose client now fetches the withheld seq, hidden) still has no unread.
    await bob.page.reload();
    await bob.page.locator('.msg.out', { hasText: 'Are you there?' }).waitFor();
    await bob.page.waitForTimeout(1000);
    assert.equal(await bob.page.locator('.msg.out', { hasText: 'Are you there?' }).getAttribute('data-status'), 'sent');
    assert.equal((await sub(bob.page).textContent()).trim(), '');
    await alice.page.reload();
    await alice.page.getByRole('button', { name: 'Main menu' }).waitFor();
    await alice.page.waitForTimeout(1000);
    assert.equal(await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).locator('.badge').count(), 0, 'no unread after reload');
    assert.equal(await alice.page.title(), 'Parley');
    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await alice.page.locator('#chat-title').waitFor();
    await alice.page.waitForTimeout(500);
    assert.equal(await alice.page.locator('.msg', { hasText: 'Are you there?' }).count(), 0);
    // Her open chat sends read receipts; they cannot pass what was withheld.
    await bob.page.waitForTimeout(1000);
    assert.equal(await bob.page.locator('.msg.out', { hasText: 'Are you there?' }).getAttribute('data-status'), 'sent');

    // Alice unblocks Bob from her settings; the menu offers "Block" again.
    await alice.page.getByRole('button', { name: 'Settings and contacts' }).click();
    await alice.page.locator('.person.blocked', { hasText: 'Bob Builder' }).getByRole('button', { name: 'Unblock Bob Builder' }).click();
    await alice.page.getByRole('dialog').getByRole('button', { name: 'Unblock', exact: true }).click();
    await eventually(async () => (await alice.page.locator('.person.blocked').count()) === 0, { message: 'unblocked' });
    const blocks = await api(server.base, 'GET', '/blocks', undefined, login.data.token);
    assert.deepEqual(blocks.data.users, []);
    await api(server.base, 'POST', '/logout', {}, login.data.token);
    await alice.page.getByRole('button', { name: 'Close settings' }).click();
    await alice.page.getByRole('button', { name: 'Chat menu' }).click();
    await alice.page.getByRole('menuitem', { name: 'Block' }).waitFor();
    await alice.page.keyboard.press('Escape');
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
