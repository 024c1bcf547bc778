// End-to-end: how messages read (issue #18, "Ergonomics and polish"): links are clickable
// and safe, emoji-only messages are large (at a desktop and a phone size); keyboard
// shortcuts work and are listed in a dialog.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

let server;
let browser;
let alice;
let bob;
let dave;
let daveChat;

async function send(token, conversationId, text) {
  const r = await api(server.base, 'POST', `/conversations/${conversationId}/messages`, { client_id: `e-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, text }, token);
  assert.ok(r.status < 300, JSON.stringify(r.data));
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  alice = (await api(server.base, 'POST', '/register', { username: 'alice', display_name: 'Alice Liddell', password: 'pw-alice-123' })).data;
  bob = (await api(server.base, 'POST', '/register', { username: 'bob', display_name: 'Bob Builder', password: 'pw-bob-1234' })).data;
  const conv = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, bob.token)).data.conversation;
  await send(bob.token, conv.id, 'Tickets at https://example.com/tickets?day=2 (or www.example.org), not javascript:alert(1)');
  await send(bob.token, conv.id, '👍🎉');
  await send(bob.token, conv.id, 'ok 👍');
  await send(alice.token, conv.id, 'My last words');
  const carol = (await api(server.base, 'POST', '/register', { username: 'carol', display_name: 'Carol Singer', password: 'pw-carol-12' })).data;
  const other = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, carol.token)).data.conversation;
  await send(carol.token, other.id, 'Hi from Carol');
  dave = (await api(server.base, 'POST', '/register', { username: 'dave', display_name: 'Dave Long', password: 'pw-dave-123' })).data;
  daveChat = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, dave.token)).data.conversation;
  for (let i = 1; i <= 40; i++) await send(dave.token, daveChat.id, `Dave ${i}`);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('messages: links and big emoji', () => {
  it('is installable: the manifest lists PNG icons 192, 512 and a maskable one, all served', async () => {
    const manifest = await (await fetch(server.base + '/manifest.webmanifest')).json();
    const pngs = manifest.icons.filter((i) => i.type === 'image/png');
    assert.deepEqual(pngs.map((i) => `${i.sizes} ${i.purpose}`), ['192x192 any', '512x512 any', '512x512 maskable']);
    for (const src of [...pngs.map((i) => i.src), '/apple-touch-icon.png']) {
      const r = await fetch(server.base + src);
      assert.equal(r.status, 200, src);
      assert.equal(r.headers.get('content-type'), 'image/png', src);
      assert.deepEqual([...new Uint8Array(await r.arrayBuffer()).slice(1, 4)], [0x50, 0x4e, 0x47], `${src} is a PNG`);
    }
  });

  for (const [label, options] of [
    ['desktop', { viewport: { width: 1440, height: 900 } }],
    ['phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
  ]) {
    it(`links open safely in a new tab and 1-3 emoji alone are large (${label})`, async () => {
      const context = await browser.newContext({ ...options, locale: 'en-GB', timezoneId: 'UTC' });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('[page error]', e.message));
      await page.goto(server.base + '/');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('pw-alice-123');
      await page.getByRole('button', { name: 'Log in' }).last().click();
      await page.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
      if (label === 'desktop') {
        // Unread messages: the count in the title and as a badge drawn on the favicon.
        await eventually(async () => /^\(\d+\) Parley$/.test(await page.title()), { message: 'unread count in the title' });
        await eventually(async () => (await page.locator('link[rel="icon"]').getAttribute('href')).startsWith('data:image/png;base64,'), { message: 'a badge on the favicon' });
      }
      await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
      const msg = page.locator('.msg.in', { hasText: 'Tickets at' });
      await msg.waitFor();

      const links = await msg.locator('a').evaluateAll((as) => as.map((a) => ({ text: a.textContent, href: a.getAttribute('href'), rel: a.rel, target: a.target })));
      assert.deepEqual(links, [
        { text: 'https://example.com/tickets?day=2', href: 'https://example.com/tickets?day=2', rel: 'noopener noreferrer', target: '_blank' },
        { text: 'www.example.org', href: 'https://www.example.org/', rel: 'noopener noreferrer', target: '_blank' },
      ]);
      assert.match(await msg.locator('.text').textContent(), /not javascript:alert\(1\)$/, 'the rest stays plain text');

      const size = (loc) => loc.locator('.text').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      const big = await size(page.locator('.msg.in', { hasText: '👍🎉' }));
      const normal = await size(page.locator('.msg.in', { hasText: 'ok 👍' }));
      assert.ok(big >= 2 * normal, `emoji alone ${big}px vs text ${normal}px`);
      await page.screenshot({ path: join(ARTIFACTS, `links-emoji-${label}.png`) });
      await context.close();
    });
  }

  it('a chat opens at its first unread message under an "N unread messages" divider; a jump button counts what arrives below', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.goto(server.base + '/');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('pw-alice-123');
    await page.getByRole('button', { name: 'Log in' }).last().click();
    await page.locator('.chat-row', { hasText: 'Dave Long' }).click();
    const divider = page.locator('.unread-divider');
    await divider.waitFor();
    assert.equal((await divider.textContent()).trim(), '40 unread messages');
    const list = page.locator('.messages');
    const inView = (loc) => loc.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const view = el.closest('.messages').getBoundingClientRect();
      return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
    });
    await page.locator('.msg.in .text', { hasText: /^Dave 1$/ }).waitFor();
    assert.ok(await inView(divider), 'the divider is on screen');
    assert.ok(await inView(page.locator('.msg.in').filter({ has: page.locator('.text', { hasText: /^Dave 1$/ }) })), 'the first unread message is on screen');
    assert.equal(await inView(page.locator('.msg.in').filter({ has: page.locator('.text', { hasText: /^Dave 40$/ }) })), false, 'the newest is below');

    // Scrolled up, new messages are counted on the jump button; it brings the newest into view.
    const jump = list.getByRole('button', { name: /^Newest messages/ });
    await jump.waitFor();
    await send(dave.token, daveChat.id, 'Dave 41');
    await send(dave.token, daveChat.id, 'Dave 42');
    await page.locator('.msg.in .text', { hasText: /^Dave 42$/ }).waitFor();
    await jump.filter({ hasText: '2' }).waitFor();
    assert.match(await jump.textContent(), /Newest messages, 2 new/);
    await page.screenshot({ path: join(ARTIFACTS, 'unread-divider-desktop.png') });
    await jump.click();
    await jump.waitFor({ state: 'detached' });
    assert.ok(await inView(page.locator('.msg.in').filter({ has: page.locator('.text', { hasText: /^Dave 42$/ }) })), 'the newest message is on screen');
    await context.close();
  });

  it('keyboard: Ctrl+K searches, Alt+Down/Up move between chats, Up edits the last own message, ? lists the shortcuts', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    await page.goto(server.base + '/');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('pw-alice-123');
    await page.getByRole('button', { name: 'Log in' }).last().click();
    await page.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
    await page.locator('.chat-row', { hasText: 'Carol Singer' }).waitFor();
    const order = await page.locator('.chat-row .row-name').allTextContents();
    assert.equal(order.length, 3);

    await page.locator('body').click({ position: { x: 900, y: 450 } });
    await page.keyboard.press('Control+k');
    await page.waitForFunction(() => document.activeElement?.id === 'search-all');

    // In list order (newest first), from no chat open.
    const title = page.locator('#chat-title');
    await page.keyboard.press('Alt+ArrowDown');
    await title.filter({ hasText: order[0] }).waitFor();
    await page.keyboard.press('Alt+ArrowDown');
    await title.filter({ hasText: order[1] }).waitFor();
    await page.keyboard.press('Alt+ArrowDown');
    await title.filter({ hasText: order[2] }).waitFor();
    await page.keyboard.press('Alt+ArrowUp');
    await title.filter({ hasText: order[1] }).waitFor();
    await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await title.filter({ hasText: 'Bob Builder' }).waitFor();

    // Up in the empty message box edits the last own message.
    await page.getByRole('textbox', { name: /^Message / }).click();
    await page.keyboard.press('ArrowUp');
    const editor = page.getByLabel('Edit message');
    await editor.waitFor();
    assert.equal(await editor.inputValue(), 'My last words');
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });

    // "?" outside a text field, and the main menu, open the list of shortcuts.
    await title.click();
    await page.keyboard.press('Shift+?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const listed = await dialog.locator('dd').allTextContents();
    for (const does of ['Search messages', 'Next / previous chat', 'Edit your last message', 'Close a menu, panel or dialog']) {
      assert.ok(listed.includes(does), `${does} in ${listed}`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'shortcuts-desktop.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Main menu' }).click();
    await page.getByRole('menuitem', { name: 'Keyboard shortcuts' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    await context.close();
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
