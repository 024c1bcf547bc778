// End-to-end: axe-core (WCAG 2.1 A and AA rules) finds no violation on the main screens, in
// the light and the dark theme (the system's, and the one picked in settings):
// sign-in, chat list, a direct chat, a group chat with its info panel and message info,
// settings, search results, the delete and the keyboard shortcuts dialogs, at a desktop and
// a phone size.
// axe is evaluated through the DevTools protocol, not as a <script> (the strict
// Content-Security-Policy stays on and is checked at the end).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  ['desktop', { viewport: { width: 1440, height: 900 } }],
  ['phone', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
];

let server;
let browser;
let alice;

async function send(token, conversationId, text) {
  const r = await api(server.base, 'POST', `/conversations/${conversationId}/messages`, { client_id: `a-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, text }, token);
  assert.ok(r.status < 300, JSON.stringify(r.data));
}

/** Runs axe on the page as it is now; fails with a readable list of what it found. */
async function axe(page, screen) {
  // A string is evaluated by the DevTools protocol itself, so the page's CSP (no eval) does not apply.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE + '\n;void 0');
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + n.failureSummary.split('\n').slice(0, 2).join(' ')) }));
  });
  assert.deepEqual(violations, [], `axe on ${screen}:\n${JSON.stringify(violations, null, 1)}`);
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  alice = (await api(server.base, 'POST', '/register', { username: 'alice', display_name: 'Alice Liddell', password: 'pw-alice-123' })).data;
  const bob = (await api(server.base, 'POST', '/register', { username: 'bob', display_name: 'Bob Builder', password: 'pw-bob-1234' })).data;
  await api(server.base, 'POST', '/register', { username: 'carol', display_name: 'Carol Singer', password: 'pw-carol-12' });
  const conv = (await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, bob.token)).data.conversation;
  await send(bob.token, conv.id, 'Lunch at https://example.com tomorrow?');
  await send(alice.token, conv.id, 'Yes, lunch at one 👍');
  const g = (await api(server.base, 'POST', '/groups', { name: 'Book club', member_usernames: ['bob', 'carol'] }, alice.token)).data.conversation;
  await send(alice.token, g.id, 'Chapter one tonight');
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  for (const [size, sizeOptions] of SIZES) for (const scheme of ['light', 'dark']) {
    const label = size;
    const options = { ...sizeOptions, colorScheme: scheme };
    it(`the main screens have no violation (${size}, system theme ${scheme})`, async () => {
      const context = await browser.newContext({ ...options, locale: 'en-GB', timezoneId: 'UTC' });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('[page error]', e.message));
      await page.goto(server.base + '/');
      await page.getByLabel('Username').waitFor();
      await axe(page, 'sign-in');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Log in' }).last().click();
      await page.getByRole('alert').waitFor();
      await axe(page, 'sign-in with an error');
      await page.getByLabel('Password').fill('pw-alice-123');
      await page.getByRole('button', { name: 'Log in' }).last().click();
      await page.locator('.chat-row', { hasText: 'Book club' }).waitFor();
      await page.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
      await axe(page, 'chat list');

      await page.getByLabel('Search messages').fill('lunch');
      await page.locator('.search-result').first().waitFor();
      await axe(page, 'search results');
      await page.getByLabel('Search messages').fill('');

      await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
      await page.locator('.msg.in', { hasText: 'Lunch at' }).waitFor();
      await axe(page, 'direct chat');
      await page.screenshot({ path: join(ARTIFACTS, `chat-${size}-${scheme}.png`) });
      await page.locator('.msg.out', { hasText: 'Yes, lunch' }).click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Delete' }).click();
      await page.getByRole('dialog', { name: 'Delete message?' }).waitFor();
      await axe(page, 'delete dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

      if (label === 'phone') await page.getByRole('button', { name: 'Back to chats' }).click();
      await page.locator('.chat-row', { hasText: 'Book club' }).click();
      await page.locator('.msg.out', { hasText: 'Chapter one' }).waitFor();
      await axe(page, 'group chat');
      await page.locator('.chat-heading').click();
      await page.locator('#side-panel').waitFor();
      await axe(page, 'group info');
      await page.keyboard.press('Escape');

      if (label === 'phone') await page.getByRole('button', { name: 'Back to chats' }).click();
      await page.getByRole('button', { name: 'Main menu' }).click();
      await page.getByRole('menuitem', { name: 'Keyboard shortcuts' }).click();
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await axe(page, 'keyboard shortcuts dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
      await page.getByRole('button', { name: 'Settings and contacts' }).click();
      await page.getByRole('button', { name: 'Close settings' }).waitFor();
      await axe(page, 'settings');
      const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const dark = (rgb) => rgb.match(/\d+/g).slice(0, 3).reduce((a, b) => a + Number(b), 0) < 200;
      assert.equal(dark(await background()), scheme === 'dark', `the system's ${scheme} theme is followed`);
      // The theme picked in settings wins over the system's, also after a reload.
      const pick = scheme === 'dark' ? 'light' : 'dark';
      await page.getByLabel('Theme').selectOption(pick);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), pick);
      assert.equal(dark(await background()), pick === 'dark');
      await axe(page, `settings with the ${pick} theme picked`);
      await page.reload();
      await page.getByRole('button', { name: 'Main menu' }).waitFor();
      assert.equal(dark(await background()), pick === 'dark', 'the picked theme after a reload');
      await page.getByRole('button', { name: 'Settings and contacts' }).click();
      await page.getByLabel('Theme').selectOption('system');
      assert.equal(dark(await background()), scheme === 'dark');
      await context.close();
    });
  }

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
