// End-to-end: exporting one's data and deleting one's account from Settings. A wrong password is refused in the
// dialog and changes nothing; the right one signs the user out to the sign-in screen, and
// the person she talked to then sees "Deleted account" in the chat list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, api, assertNoCspViolations, eventually, startBrowser, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

async function signUp(username, displayName, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
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

describe('delete account from settings', () => {
  it('asks for the password, signs out, and leaves "Deleted account" for the others', async () => {
    const alicePassword = 'alice long secret phrase';
    const alice = await signUp('alice', 'Alice Liddell', alicePassword);
    const bob = await signUp('bob', 'Bob Builder', 'bob long secret phrase');
    const opened = await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token);
    assert.ok(opened.status === 200 || opened.status === 201, JSON.stringify(opened.data));
    const conversationId = opened.data.conversation.id;
    const sent = await api(server.base, 'POST', `/conversations/${conversationId}/messages`,
      { client_id: `e2e-${Date.now()}`, text: 'hello from alice' }, alice.token);
    assert.equal(sent.status, 200, JSON.stringify(sent.data));
    await bob.page.getByText('Alice Liddell').first().waitFor();

    const page = alice.page;
    await page.getByRole('button', { name: 'Settings and contacts' }).click();
    // Export my data: a ZIP download holding her chat.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export my data' }).click()]);
    assert.equal(download.suggestedFilename(), 'parley-export.zip');
    const zip = readFileSync(await download.path());
    assert.equal(zip.readUInt32LE(0), 0x04034b50, 'a ZIP');
    assert.ok(zip.includes(Buffer.from('hello from alice')), 'her message is in it');
    await page.getByRole('button', { name: 'Delete account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    await dialog.waitFor();
    await dialog.getByLabel('Your password').fill('not my password');
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'That is not your password.' }).waitFor();
    assert.equal((await api(server.base, 'GET', '/me', undefined, alice.token)).status, 200, 'still signed in');
    await page.screenshot({ path: join(ARTIFACTS, 'delete-account-dialog.png') });

    await dialog.getByLabel('Your password').fill(alicePassword);
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await page.getByRole('tab', { name: 'Create account' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('parley.session')), null, 'the session is forgotten');
    assert.equal((await api(server.base, 'GET', '/me', undefined, alice.token)).status, 401);
    const relogin = await api(server.base, 'POST', '/login', { username: 'alice', password: alicePassword });
    assert.equal(relogin.status, 401);
    assert.equal(relogin.data.error.code, 'invalid_credentials');

    // Bob's open chat list catches up (a `conversation` event) and shows who is gone.
    await eventually(async () => (await bob.page.getByText('Deleted account').count()) > 0, { message: '"Deleted account" in Bob\'s list' });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'delete-account-peer.png') });
    await alice.context.close();
    await bob.context.close();
  });

  it('raised no Content-Security-Policy violation', () => assertNoCspViolations(assert));
});
