// Steps shared by the feature suites (chatstate, contact, forwarding, reactions, replies,
// search): sign a user up through the UI, run axe-core on a screen, and act on a message.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A new browser context in which `username` signs up through the UI; its page and session token. */
export async function signUp(browser, server, viewport, username, displayName, password) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(server.base + '/');
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Your name').fill(displayName);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).last().click();
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);
  return { context, page, token };
}

/** Fails with the WCAG 2.1 A/AA violations axe-core finds on the page, if any. */
export async function axe(page, screen) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE + '\n;void 0');
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + n.failureSummary.split('\n').slice(0, 2).join(' ')) }));
  });
  assert.deepEqual(violations, [], `axe on ${screen}:\n${JSON.stringify(violations, null, 1)}`);
}

/** The last message bubble whose text contains `text`. */
export const bubble = (page, text) => page.locator('.messages .msg', { has: page.locator('.text', { hasText: text }) }).last();

/** Opens the message menu of `text` (a right click) and picks `item`. */
export async function messageAction(page, text, item) {
  const msg = bubble(page, text);
  // A right click opens the same menu as the chevron, on any screen size.
  await msg.locator('.bubble').click({ button: 'right' });
  await page.getByRole('menuitem', { name: item }).click();
}
