// End-to-end: how messages read (issue #18, "Ergonomics and polish"): links are clickable
// and safe, emoji-only messages are large. At a desktop and a phone size.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

let server;
let browser;
let alice;
let bob;

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
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('messages: links and big emoji', () => {
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

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
