// End-to-end: the defects of issue #18 that live in the web client, each reproduced first.
// People and chats are seeded through the API; the browser only does what is under test, at a
// phone (390x844, touch) and a desktop (1440x900) size.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = { alice: 'pw-alice-123', bob: 'pw-bob-1234', carol: 'pw-carol-12' };

let server;
let browser;
const users = {}; // username -> { token, user }
let directId; // alice <-> bob
let carolId; // alice <-> carol
let groupId;

async function newPage({ phone = false } = {}) {
  const context = await browser.newContext(
    phone
      ? { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB', timezoneId: 'UTC' }
      : { viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' },
  );
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return page;
}

async function logIn(page, username) {
  await page.goto(server.base + '/');
  await page.getByRole('tab', { name: 'Log in' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD[username]);
  await page.getByRole('button', { name: 'Log in' }).last().click();
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
}

async function openChat(page, name) {
  await page.locator('.chat-row', { hasText: name }).first().click();
  await page.locator('#chat-title', { hasText: name }).waitFor();
}

const composer = (page) => page.getByRole('textbox', { name: /^Message / });

async function send(token, conversationId, text) {
  const r = await api(server.base, 'POST', `/conversations/${conversationId}/messages`, { client_id: `seed-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, text }, token);
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.data));
  return r.data.message;
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  for (const [username, display_name] of [['alice', 'Alice Liddell'], ['bob', 'Bob Builder'], ['carol', 'Carol Singer']]) {
    const r = await api(server.base, 'POST', '/register', { username, display_name, password: PASSWORD[username] });
    assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.data));
    users[username] = r.data;
  }
  const a = users.alice.token;
  directId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, a)).data.conversation.id;
  carolId = (await api(server.base, 'POST', '/conversations', { peer_username: 'carol' }, a)).data.conversation.id;
  await send(users.bob.token, directId, 'Hi Alice');
  await send(users.carol.token, carolId, 'Hello from Carol');
  const g = await api(server.base, 'POST', '/groups', { name: 'Book club', member_usernames: ['bob', 'carol'] }, a);
  assert.ok(g.status === 200 || g.status === 201, JSON.stringify(g.data));
  groupId = g.data.conversation.id;
  await send(a, groupId, 'Chapter one tonight');
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('web client defects (issue #18)', () => {
  it('a login error stays on the "Log in" tab: "Create account" starts clean', async () => {
    for (const phone of [true, false]) {
      const page = await newPage({ phone });
      await page.goto(server.base + '/');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Log in' }).last().click();
      await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
      await page.getByRole('tab', { name: 'Create account' }).click();
      assert.equal(await page.getByRole('alert').count(), 0, 'no error on the other tab');
      await page.context().close();
    }
  });

  it('a short chat sits at the bottom, next to the composer', async () => {
    for (const phone of [false, true]) {
      const page = await newPage({ phone });
      await logIn(page, 'alice');
      await openChat(page, 'Bob Builder');
      const bubble = page.locator('.msg', { hasText: 'Hi Alice' });
      await bubble.waitFor();
      const msgBox = await bubble.boundingBox();
      const composerBox = await page.locator('.composer').boundingBox();
      const gap = composerBox.y - (msgBox.y + msgBox.height);
      assert.ok(gap >= 0 && gap < 60, `the only message ends ${gap}px above the composer`);
      await page.screenshot({ path: join(ARTIFACTS, `short-chat-${phone ? 'phone' : 'desktop'}.png`) });
      await page.context().close();
    }
  });

  it('keeps a draft per chat when switching chats and across a reload; sending clears it', async () => {
    const page = await newPage();
    await logIn(page, 'alice');
    await openChat(page, 'Bob Builder');
    await composer(page).fill('Half a thought for Bob');
    await openChat(page, 'Carol Singer');
    assert.equal(await composer(page).inputValue(), '', 'the other chat has its own (empty) draft');
    await composer(page).fill('Something for Carol');
    await openChat(page, 'Bob Builder');
    assert.equal(await composer(page).inputValue(), 'Half a thought for Bob');
    await page.reload();
    await page.locator('#chat-title', { hasText: 'Bob Builder' }).waitFor();
    assert.equal(await composer(page).inputValue(), 'Half a thought for Bob');
    await composer(page).press('Enter');
    await page.locator('.msg.out', { hasText: 'Half a thought for Bob' }).waitFor();
    await openChat(page, 'Carol Singer');
    assert.equal(await composer(page).inputValue(), 'Something for Carol');
    await page.reload();
    await openChat(page, 'Bob Builder');
    assert.equal(await composer(page).inputValue(), '', 'a sent draft is gone');
    // Logging out forgets every draft of the account.
    await page.getByRole('button', { name: 'Main menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('tab', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parley.drafts.')).length), 0);
    await page.context().close();
  });

  it('on a phone a long press (real touch input) opens the message menu and lifting the finger keeps it open', async () => {
    const page = await newPage({ phone: true });
    await logIn(page, 'alice');
    await openChat(page, 'Bob Builder');
    const bubble = page.locator('.msg', { hasText: 'Hi Alice' }).locator('.bubble');
    await bubble.waitFor();
    const box = await bubble.boundingBox();
    const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    // Through the browser's input pipeline (as a finger), not synthetic DOM events.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    await page.waitForTimeout(900);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForTimeout(500);
    const menu = page.getByRole('menu', { name: 'Actions for the message' });
    assert.equal(await menu.count(), 1, 'the menu is still open after the finger lifted');
    await page.screenshot({ path: join(ARTIFACTS, 'long-press-menu-phone.png') });
    // A tap elsewhere closes it.
    await page.touchscreen.tap(PHONE.width / 2, 120);
    await eventually(async () => (await menu.count()) === 0, { message: 'menu closed by a tap outside' });
    await page.context().close();
  });

  it('on a phone an own group message has one menu, with "Message info" in it, not two identical chevrons', async () => {
    const page = await newPage({ phone: true });
    await logIn(page, 'alice');
    await openChat(page, 'Book club');
    const mine = page.locator('.msg.out', { hasText: 'Chapter one tonight' });
    await mine.waitFor();
    const shown = await mine.evaluate((el) =>
      [...el.querySelectorAll('button')].filter((b) => getComputedStyle(b).display !== 'none').map((b) => b.querySelector('svg')?.innerHTML ?? ''),
    );
    assert.equal(new Set(shown).size, shown.length, `no two identical buttons by the bubble: ${shown.length} shown`);
    assert.equal(await mine.getByRole('button', { name: 'Message info' }).isVisible(), false, 'no separate info button on a touch screen');
    // Phone browsers leave :hover on what was tapped (Chromium's touch emulation does not, so
    // the state is forced through the DevTools protocol): still no info button, no chevron.
    await mine.locator('.text').tap();
    await mine.evaluate((el) => el.setAttribute('data-probe', ''));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '.msg[data-probe]' });
    await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: ['hover'] });
    assert.equal(await mine.evaluate((el) => el.matches(':hover')), true, 'the row hovered');
    assert.equal(await mine.getByRole('button', { name: 'Message info' }).isVisible(), false, 'no info button on a hovered row');
    assert.equal(await mine.getByRole('button', { name: 'Open message menu' }).isVisible(), false, 'no chevron on a hovered row');
    await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: [] });
    await mine.click({ button: 'right' }); // what a long press becomes
    await page.getByRole('menuitem', { name: 'Message info' }).click();
    await page.getByRole('complementary', { name: 'Message info' }).waitFor();
    await page.context().close();
  });

  it('renaming a group keeps its avatar colour', async () => {
    const page = await newPage();
    await logIn(page, 'alice');
    await openChat(page, 'Book club');
    const colour = () => page.locator('.chat-bar .avatar').evaluate((el) => getComputedStyle(el).backgroundColor);
    const rowColour = () => page.locator('.chat-row', { hasText: /Book club|Reading circle/ }).locator('.avatar').evaluate((el) => getComputedStyle(el).backgroundColor);
    const before = [await colour(), await rowColour()];
    // Some renames land on another colour of the palette when the colour follows the name.
    for (const name of ['Reading circle', 'Book club 2', 'Book club']) {
      const r = await api(server.base, 'PATCH', `/conversations/${groupId}`, { name }, users.alice.token);
      assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.data));
      await page.locator('#chat-title', { hasText: new RegExp(`^${name}$`) }).waitFor();
      assert.deepEqual([await colour(), await rowColour()], before, `colour after renaming to ${name}`);
    }
    await page.context().close();
  });

  it('the delete dialog has one column of equal buttons; "Log out" is a menu item', async () => {
    for (const phone of [true, false]) {
      const page = await newPage({ phone });
      await logIn(page, 'alice');
      assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'no "Log out" button in the header');
      await page.getByRole('button', { name: 'Main menu' }).click();
      await page.getByRole('menuitem', { name: 'Log out' }).waitFor();
      await page.keyboard.press('Escape');
      await eventually(async () => (await page.getByRole('menu', { name: 'Main menu' }).count()) === 0, { message: 'menu closed' });
      await openChat(page, 'Book club');
      const mine = page.locator('.msg.out', { hasText: 'Chapter one tonight' });
      await mine.click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete message?' });
      await dialog.waitFor();
      const boxes = [];
      for (const name of ['Delete for everyone', 'Delete for me', 'Cancel']) boxes.push(await dialog.getByRole('button', { name }).boundingBox());
      for (const b of boxes) {
        assert.ok(Math.abs(b.x - boxes[0].x) < 1 && Math.abs(b.width - boxes[0].width) < 1, `ragged buttons: ${JSON.stringify(boxes)}`);
      }
      assert.ok(boxes[0].y < boxes[1].y && boxes[1].y < boxes[2].y, 'everyone, me, cancel from top to bottom');
      await page.screenshot({ path: join(ARTIFACTS, `delete-dialog-${phone ? 'phone' : 'desktop'}.png`) });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.context().close();
    }
  });

  it('a chat pressed while a new message re-sorts the list opens on release', async () => {
    // A row moves while the mouse button is down (a message arrived): the release lands on
    // another row and Chromium sends no click at all, so no chat opened. Playwright's click()
    // checks its target once, at the press, so a sync re-sorting the list just after a page
    // load made openChat() time out the same way.
    const page = await newPage();
    await logIn(page, 'alice');
    const names = () => page.locator('.chat-list .chat-row .row-name').allTextContents();
    await send(users.carol.token, carolId, 'Carol is on top now');
    await eventually(async () => (await names())[0] === 'Carol Singer', { message: 'Carol first' });
    const bobRow = page.locator('.chat-row', { hasText: 'Bob Builder' });
    const nameAt = (x, y) => page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('.chat-row')?.querySelector('.row-name')?.textContent, { x, y });
    // The list may still be settling after the login (the first sync's pages, presence):
    // press only once the row under the pointer is Bob's, and press again if a re-sort came
    // between that check and the press (the page records which row the press began on).
    await page.evaluate(() => {
      const name = (e) => (e.target instanceof Element ? e.target.closest('.chat-row')?.querySelector('.row-name')?.textContent : undefined);
      document.addEventListener('pointerdown', (e) => (window.__pressedRow = name(e)), true);
      document.addEventListener('pointerup', (e) => (window.__releasedRow = name(e)), true);
    });
    let box;
    for (let attempt = 1; ; attempt++) {
      await eventually(async () => {
        box = await bobRow.boundingBox();
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        return (await nameAt(box.x + box.width / 2, box.y + box.height / 2)) === 'Bob Builder';
      }, { message: "the pointer on Bob's row" });
      await page.mouse.down();
      const pressedRow = await page.evaluate(() => window.__pressedRow);
      if (pressedRow === 'Bob Builder') break;
      await page.mouse.up();
      assert.ok(attempt < 5, `the press began on ${pressedRow}, not Bob's row, ${attempt} times`);
    }
    await send(users.bob.token, directId, 'Bob moves up');
    await eventually(async () => (await names())[0] === 'Bob Builder', { message: 'Bob first' });
    const under = await nameAt(box.x + box.width / 2, box.y + box.height / 2);
    assert.notEqual(under, 'Bob Builder', 'another row is under the pointer now');
    await page.mouse.up();
    try {
      await page.locator('#chat-title', { hasText: 'Bob Builder' }).waitFor();
    } catch (e) {
      const seen = await page.evaluate(() => ({ pressed: window.__pressedRow, released: window.__releasedRow, title: document.querySelector('#chat-title')?.textContent }));
      throw new Error(`Bob's chat did not open on release: ${JSON.stringify(seen)}; ${e.message}`);
    }
    await page.context().close();
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
