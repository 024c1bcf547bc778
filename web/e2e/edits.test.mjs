// End-to-end: editing, deleting (for everyone / for me) and searching messages, two users
// against the real parleyd. Run with `npm run e2e` (builds first) or `npm run e2e:nobuild`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
let alice; // { context, page }
let bob;
let conversationId;

async function newUser() {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' });
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

async function sendText(page, text) {
  await page.getByLabel(/^Message /).fill(text);
  await page.keyboard.press('Enter');
}

const token = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);
const bubble = (page, text) => page.locator('.messages .msg', { has: page.locator('.text', { hasText: text }) }).last();

/** Opens the message menu of the bubble with this text and picks an item. */
async function messageAction(page, text, item) {
  const msg = bubble(page, text);
  await msg.hover();
  await msg.getByRole('button', { name: 'Open message menu' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/** Waits until the own message with this text is acknowledged (it has a seq). */
async function waitSent(page, text) {
  await eventually(async () => (await bubble(page, text).getAttribute('data-seq')) !== null, { message: `"${text}" to be sent` });
}

before(async () => {
  // The search test posts 71 messages as fast as the server answers: lift the per-user send
  // bucket (30/s, bursts of 60) so the test does not depend on how fast this machine is.
  server = await startServer({ extraArgs: ['--rate-send-per-sec', '0'] });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('Editing, deleting and searching messages', () => {
  it('an edit shows on the other side with the edited mark, and in the chat list', async () => {
    alice = await newUser();
    bob = await newUser();
    await register(alice.page, 'alice', 'Alice Liddell', 'pw-alice-123');
    await register(bob.page, 'bob', 'Bob Builder', 'pw-bob-1234');

    await alice.page.getByLabel('Start a chat with username').fill('bob');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();
    conversationId = Number(/\/c\/(\d+)/.exec(alice.page.url())[1]);

    await sendText(alice.page, 'Lunch at noon?');
    await waitSent(alice.page, 'Lunch at noon?');
    await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).click();
    await bob.page.locator('.msg.in', { hasText: 'Lunch at noon?' }).waitFor();

    // Bob cannot edit Alice's message: his menu offers no Edit.
    const theirs = bubble(bob.page, 'Lunch at noon?');
    await theirs.hover();
    await theirs.getByRole('button', { name: 'Open message menu' }).click();
    assert.deepEqual(await bob.page.getByRole('menuitem').allTextContents(), ['Reply', 'React', 'Forward', 'Copy text', 'Delete']);
    await bob.page.keyboard.press('Escape');

    await messageAction(alice.page, 'Lunch at noon?', 'Edit');
    const editor = alice.page.getByLabel('Edit message');
    assert.equal(await editor.inputValue(), 'Lunch at noon?');
    await editor.fill('Lunch at one?');
    await editor.press('Enter');

    await bob.page.locator('.msg.in', { hasText: 'Lunch at one?' }).locator('.edited').waitFor();
    assert.equal(await bob.page.locator('.msg', { hasText: 'Lunch at noon?' }).count(), 0);
    await alice.page.locator('.msg.out', { hasText: 'Lunch at one?' }).locator('.edited').waitFor();
    assert.match(await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).locator('.preview-text').textContent(), /Lunch at one\?/);
    assert.match(await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).locator('.preview-text').textContent(), /Lunch at one\?/);

    // The server has the new text.
    const r = await api(server.base, 'GET', `/conversations/${conversationId}/messages?limit=10`, undefined, await token(bob.page));
    const m = r.data.messages.find((x) => x.text === 'Lunch at one?');
    assert.ok(m && m.edited_at > 0);
  });

  it('the keyboard reaches a message\'s hidden menu button: Tab shows it, Enter opens the menu', async () => {
    const page = bob.page;
    // Nothing in the message hovered or focused: its chevron is hidden (an empty box in the bubble).
    await page.mouse.move(0, 0);
    await page.locator('.messages').focus();
    const chevron = bubble(page, 'Lunch at one?').getByRole('button', { name: 'Open message menu' });
    await eventually(async () => !(await chevron.isVisible()), { message: 'the chevron hidden' });
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    assert.equal(await focused.getAttribute('aria-label'), 'Open message menu', 'Tab from the list goes to the message\'s menu button');
    const box = await focused.boundingBox();
    assert.ok(box && box.width >= 24 && box.height >= 24, `shown at full size with the focus: ${JSON.stringify(box)}`);
    await page.keyboard.press('Enter');
    await page.getByRole('menu', { name: 'Actions for the message' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menu', { name: 'Actions for the message' }).waitFor({ state: 'detached' });
  });

  it('the editor keeps a selection made the moment it shows (typing replaces it, not appends)', async () => {
    // What a fast user (or fill()) does: select the text in the editor as soon as it is there,
    // before the next frame. The editor placed its caret after the next paint and so undid the
    // selection: on a busy machine the new text was appended to the old one.
    const msg = bubble(alice.page, 'Lunch at one?');
    await msg.hover();
    await msg.getByRole('button', { name: 'Open message menu' }).click();
    const sel = await alice.page.evaluate(async () => {
      const edit = [...document.querySelectorAll('[role="menuitem"]')].find((b) => b.textContent === 'Edit');
      edit.click();
      await new Promise((r) => setTimeout(r, 0)); // the render (a microtask), not the next frame
      const box = document.querySelector('.msg-editor textarea');
      box.setSelectionRange(0, box.value.length);
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 20))));
      return { focused: document.activeElement === box, start: box.selectionStart, end: box.selectionEnd, length: box.value.length };
    });
    assert.deepEqual(sel, { focused: true, start: 0, end: 'Lunch at one?'.length, length: 'Lunch at one?'.length });
    await alice.page.getByLabel('Edit message').press('Escape');
    await alice.page.getByLabel('Edit message').waitFor({ state: 'detached' });
  });

  it('delete for everyone shows "This message was deleted" on both sides', async () => {
    await sendText(alice.page, 'Oops, wrong chat');
    await waitSent(alice.page, 'Oops, wrong chat');
    await bob.page.locator('.msg.in', { hasText: 'Oops, wrong chat' }).waitFor();

    await messageAction(alice.page, 'Oops, wrong chat', 'Delete');
    const dialog = alice.page.getByRole('dialog', { name: 'Delete message?' });
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await bubble(alice.page, 'Oops, wrong chat').count(), 1);

    await messageAction(alice.page, 'Oops, wrong chat', 'Delete');
    await dialog.getByRole('button', { name: 'Delete for everyone' }).click();
    await dialog.waitFor({ state: 'detached' });

    const gone = bob.page.locator('.msg.in.deleted');
    await gone.waitFor();
    assert.equal((await gone.locator('.text').textContent()).trim(), 'This message was deleted');
    assert.equal(await gone.locator('.text').evaluate((el) => getComputedStyle(el).fontStyle), 'italic');
    assert.equal(await bob.page.getByText('Oops, wrong chat').count(), 0);
    await alice.page.locator('.msg.out.deleted', { hasText: 'This message was deleted' }).waitFor();
    // A deleted message has no menu any more.
    assert.equal(await alice.page.locator('.msg.deleted').getByRole('button', { name: 'Open message menu' }).count(), 0);
    assert.match(await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).locator('.preview-text').textContent(), /This message was deleted/);
  });

  it('delete for me hides the message only on the own side, also after a reload', async () => {
    await sendText(bob.page, 'Only for my eyes');
    await waitSent(bob.page, 'Only for my eyes');
    await alice.page.locator('.msg.in', { hasText: 'Only for my eyes' }).waitFor();

    // Bob deletes Alice's edited message for himself; its dialog has no "for everyone".
    await messageAction(bob.page, 'Lunch at one?', 'Delete');
    const dialog = bob.page.getByRole('dialog', { name: 'Delete message?' });
    assert.equal(await dialog.getByRole('button', { name: 'Delete for everyone' }).count(), 0);
    await dialog.getByRole('button', { name: 'Delete for me' }).click();
    await eventually(async () => (await bob.page.locator('.msg', { hasText: 'Lunch at one?' }).count()) === 0, { message: 'hidden for bob' });

    // And his own last message for himself: the list preview falls back to the one before.
    await messageAction(bob.page, 'Only for my eyes', 'Delete');
    await dialog.getByRole('button', { name: 'Delete for me' }).click();
    await eventually(async () => (await bob.page.locator('.msg', { hasText: 'Only for my eyes' }).count()) === 0, { message: 'own hidden for bob' });
    assert.match(await bob.page.locator('.chat-row', { hasText: 'Alice Liddell' }).locator('.preview-text').textContent(), /This message was deleted/);

    // Alice still has both.
    await alice.page.waitForTimeout(500);
    await alice.page.locator('.msg.out', { hasText: 'Lunch at one?' }).waitFor();
    await alice.page.locator('.msg.in', { hasText: 'Only for my eyes' }).waitFor();

    await bob.page.reload();
    await bob.page.locator('.msg.in.deleted').waitFor();
    assert.equal(await bob.page.locator('.msg', { hasText: 'Lunch at one?' }).count(), 0);
    assert.equal(await bob.page.locator('.msg', { hasText: 'Only for my eyes' }).count(), 0);
  });

  it('an edit and a deletion made while the other side is offline show after it reconnects', async () => {
    await sendText(alice.page, 'Meet at the station');
    await sendText(alice.page, 'Bring the tickets');
    await waitSent(alice.page, 'Bring the tickets');
    await bob.page.locator('.msg.in', { hasText: 'Bring the tickets' }).waitFor();

    await eventually(() => bob.page.evaluate(() => !!navigator.serviceWorker?.controller), { message: 'service worker control' });
    await bob.context.setOffline(true);
    await bob.page.getByText('You are offline').waitFor();

    await messageAction(alice.page, 'Meet at the station', 'Edit');
    const editor = alice.page.getByLabel('Edit message');
    await editor.fill('Meet at the bus stop');
    await editor.press('Enter');
    await alice.page.locator('.msg.out', { hasText: 'Meet at the bus stop' }).locator('.edited').waitFor();
    await messageAction(alice.page, 'Bring the tickets', 'Delete');
    await alice.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete for everyone' }).click();
    await alice.page.locator('.msg.out.deleted').last().waitFor();
    await alice.page.screenshot({ path: join(ARTIFACTS, 'edits-desktop.png') });

    // Bob, offline, still shows the old state.
    await bob.page.waitForTimeout(500);
    await bob.page.locator('.msg.in', { hasText: 'Meet at the station' }).waitFor();
    await bob.page.locator('.msg.in', { hasText: 'Bring the tickets' }).waitFor();

    await bob.context.setOffline(false);
    await bob.page.locator('.msg.in', { hasText: 'Meet at the bus stop' }).locator('.edited').waitFor({ timeout: 20_000 });
    await eventually(async () => (await bob.page.getByText('Bring the tickets').count()) === 0, { message: 'deletion after reconnect' });
    assert.equal(await bob.page.locator('.msg.in.deleted').count(), 2);
    assert.equal(await bob.page.locator('.msg', { hasText: 'Meet at the station' }).count(), 0);

    // The local database converged too: a reload while offline shows the same.
    await bob.context.setOffline(true);
    await bob.page.reload();
    await bob.page.locator('.msg.in', { hasText: 'Meet at the bus stop' }).locator('.edited').waitFor();
    assert.equal(await bob.page.getByText('Bring the tickets').count(), 0);
    assert.equal(await bob.page.locator('.msg.in.deleted').count(), 2);
    await bob.context.setOffline(false);
  });

  it('"delete for me" on one device hides the message on the user\'s other open devices', async () => {
    const second = await bob.context.newPage();
    second.on('pageerror', (e) => console.error('[page error]', e.message));
    await second.goto(server.base + `/c/${conversationId}`);
    await second.locator('.msg.in', { hasText: 'Meet at the bus stop' }).waitFor();

    await messageAction(bob.page, 'Meet at the bus stop', 'Delete');
    await bob.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete for me' }).click();
    await eventually(async () => (await second.locator('.msg', { hasText: 'Meet at the bus stop' }).count()) === 0, {
      message: 'message_hidden on the other device',
    });
    await eventually(async () => (await bob.page.locator('.msg', { hasText: 'Meet at the bus stop' }).count()) === 0, { message: 'hidden here' });
    assert.equal(await alice.page.locator('.msg.out', { hasText: 'Meet at the bus stop' }).count(), 1);
    await second.close();
  });

  it('search finds messages with highlighted words and opens the chat at the message', async () => {
    // An old message, then enough newer ones that it is not on the first page of the chat.
    const bobToken = await token(bob.page);
    const post = (text, i) => api(server.base, 'POST', `/conversations/${conversationId}/messages`, { client_id: `e2e-search-${i}`, text }, bobToken);
    assert.equal((await post('The pineapple pizza was great', 0)).status, 200);
    for (let i = 1; i <= 70; i++) assert.equal((await post(`Filler message number ${i}`, i)).status, 200);

    const page = alice.page;
    await page.goto(server.base + '/');
    await page.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
    await page.getByLabel('Search messages').fill('pineap');
    const result = page.locator('.search-result').first();
    await result.waitFor();
    assert.equal(await page.locator('.search-result').count(), 1);
    assert.equal((await result.locator('mark').first().textContent()).toLowerCase(), 'pineapple');
    assert.match(await result.textContent(), /Bob Builder/);
    // The chat list is replaced by the results while searching.
    assert.equal(await page.locator('.chat-list').count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, 'search-desktop.png') });

    const foundSeq = await result.getAttribute('data-seq');
    await result.click();
    await page.locator('#chat-title', { hasText: 'Bob Builder' }).waitFor();
    await page.locator(`.msg.highlighted[data-seq="${foundSeq}"]`, { hasText: 'The pineapple pizza was great' }).waitFor({ timeout: 20_000 });
    // The same bubble without the class: the highlight fades after a few seconds, the bubble stays.
    const target = page.locator(`.msg[data-seq="${foundSeq}"]`);
    await eventually(() => target.isVisible(), { message: 'the found message on screen' });
    const inView = await target.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const list = el.closest('.messages').getBoundingClientRect();
      return r.bottom > list.top && r.top < list.bottom;
    });
    assert.ok(inView, 'the found message is scrolled into view');
    await page.screenshot({ path: join(ARTIFACTS, 'search-result-desktop.png') });

    // Deleted messages are not found; the edited text is, the old one not.
    await page.getByLabel('Search messages').fill('tickets');
    await page.getByText('No messages found.').waitFor();
    await page.getByLabel('Search messages').fill('bus stop');
    await page.locator('.search-result', { hasText: 'Meet at the' }).waitFor();
    await page.getByLabel('Search messages').fill('station');
    await page.getByText('No messages found.').waitFor();

    // "More results" pages through many hits.
    await page.getByLabel('Search messages').fill('filler');
    await eventually(async () => (await page.locator('.search-result').count()) === 20, { message: 'first page of 20' });
    await page.getByRole('button', { name: 'More results' }).click();
    await eventually(async () => (await page.locator('.search-result').count()) === 40, { message: 'second page' });
    await page.getByLabel('Search messages').fill('');
    await page.locator('.chat-list').waitFor();

    // Search inside the chat.
    await page.getByRole('button', { name: 'Search in chat' }).click();
    await page.getByLabel('Search in this chat').fill('lunch');
    const inChat = page.locator('.side-panel .search-result').first();
    await inChat.waitFor();
    assert.equal((await inChat.locator('mark').textContent()).toLowerCase(), 'lunch');
    await inChat.click();
    await page.locator('.msg.highlighted', { hasText: 'Lunch at one?' }).waitFor({ timeout: 20_000 });
  });

  it('on a new phone, a result older than the history held loads history back to it', async () => {
    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB', timezoneId: 'UTC' });
    try {
      const p = await phone.newPage();
      p.on('pageerror', (e) => console.error('[page error]', e.message));
      await p.goto(server.base + '/');
      await p.getByRole('tab', { name: 'Log in' }).click();
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('pw-alice-123');
      await p.getByRole('button', { name: 'Log in' }).last().click();
      await p.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();

      // A new device holds only the newest page of the chat: not the pineapple message.
      const held = async () =>
        p.evaluate(
          ({ cid }) =>
            new Promise((resolve, reject) => {
              const uid = JSON.parse(localStorage.getItem('parley.session')).user.id;
              const req = indexedDB.open(`parley-u${uid}`);
              req.onsuccess = () => {
                const all = req.result.transaction('messages', 'readonly').objectStore('messages').getAll();
                all.onsuccess = () => {
                  resolve(all.result.filter((m) => m.conversation_id === cid).map((m) => m.text));
                  req.result.close();
                };
                all.onerror = () => reject(all.error);
              };
              req.onerror = () => reject(req.error);
            }),
          { cid: conversationId },
        );
      await eventually(async () => (await held()).length > 0, { message: 'the newest page stored' });
      assert.ok(!(await held()).includes('The pineapple pizza was great'));

      await p.getByLabel('Search messages').fill('pineapple');
      await p.locator('.search-result').first().click();
      const target = p.locator('.msg.highlighted', { hasText: 'The pineapple pizza was great' });
      await target.waitFor({ timeout: 20_000 });
      await eventually(() => target.isVisible(), { message: 'the old message on screen' });
      assert.equal(await p.locator('.sidebar').isVisible(), false, 'on a phone the chat replaces the list');
      await p.screenshot({ path: join(ARTIFACTS, 'search-result-phone.png') });
      assert.ok((await held()).includes('The pineapple pizza was great'));

      // On a touch screen a long press opens the message menu; a short tap does not.
      const msg = p.locator('.msg', { has: p.locator('.text', { hasText: /^Filler message number 3$/ }) });
      const box = await msg.locator('.bubble').boundingBox();
      const touch = { identifier: 1, clientX: box.x + 10, clientY: box.y + 10 };
      await msg.dispatchEvent('touchstart', { touches: [touch], changedTouches: [touch] });
      await msg.dispatchEvent('touchend', { touches: [], changedTouches: [touch] });
      await p.waitForTimeout(700);
      assert.equal(await p.getByRole('menuitem', { name: 'Delete' }).count(), 0);
      await msg.dispatchEvent('touchstart', { touches: [touch], changedTouches: [touch] });
      await p.waitForTimeout(700);
      await msg.dispatchEvent('touchend', { touches: [], changedTouches: [touch] });
      await p.getByRole('menuitem', { name: 'Delete' }).waitFor();
      assert.equal(await p.getByRole('menuitem', { name: 'Edit' }).count(), 0, "no Edit on Bob's message");
    } finally {
      await phone.close();
    }
  });

  it('a result whose history loads slowly is still highlighted when it comes into view', async () => {
    // The highlight used to last 4 s from the click, so on a slow connection (or a busy
    // machine) it was gone before the message arrived. History pages are delayed here by 5 s.
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC', serviceWorkers: 'block' });
    try {
      const p = await context.newPage();
      p.on('pageerror', (e) => console.error('[page error]', e.message));
      await p.route(/\/api\/v1\/conversations\/\d+\/messages\?.*before=/, async (route) => {
        await new Promise((r) => setTimeout(r, 5000));
        await route.continue();
      });
      await p.goto(server.base + '/');
      await p.getByRole('tab', { name: 'Log in' }).click();
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('pw-alice-123');
      await p.getByRole('button', { name: 'Log in' }).last().click();
      await p.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
      await p.getByLabel('Search messages').fill('pineapple');
      const result = p.locator('.search-result').first();
      const seq = await result.getAttribute('data-seq');
      await result.click();
      await p.locator(`.msg.highlighted[data-seq="${seq}"]`, { hasText: 'The pineapple pizza was great' }).waitFor({ timeout: 20_000 });
    } finally {
      await context.close();
    }
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
