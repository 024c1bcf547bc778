// End-to-end: the service worker's push handler in Chromium. Chromium's DevTools protocol
// hands a push message to the service worker (ServiceWorker.deliverPushMessage) as a push
// service would after decryption; the test reads the notifications the worker shows.
// Also: the notification opt-in lives in Settings and asks nothing on page load.
// The click on a notification is not driven here: no DevTools command clicks one, and a
// synthetic `notificationclick` is untrusted (no focus, no openWindow); test/sw-click.test.ts
// runs the worker's click handler against stand-in windows instead.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';


/**
 * Pushes to the page's service worker through the DevTools protocol. Chromium's handler of
 * ServiceWorker.deliverPushMessage answers before the push event runs and drops the outcome,
 * so a push lost while the worker starts (seen on a busy machine) is not reported:
 * `until` delivers again, as a push service retries a message not yet delivered, until the
 * worker's notifications satisfy `check`. Errors the worker throws fail the test (`errors`).
 */
async function pushChannel(context, page, base) {
  const cdp = await context.newCDPSession(page);
  const registrations = new Map();
  const errors = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    for (const r of e.registrations) registrations.set(r.scopeURL, r.registrationId);
  });
  cdp.on('ServiceWorker.workerErrorReported', (e) => errors.push(e.errorMessage));
  await cdp.send('ServiceWorker.enable');
  const registrationId = await eventually(() => registrations.get(base + '/'), { message: 'the worker registration' });
  const deliver = (payload) =>
    cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data: JSON.stringify(payload) });
  const notifications = () =>
    page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
        title: n.title, body: n.body, tag: n.tag, url: n.data?.url, requireInteraction: n.requireInteraction,
      })),
    );
  /** Delivers `payload` (again every 3 s) until `check(notifications)` is truthy; returns that. */
  const until = async (payload, check, message) => {
    const end = Date.now() + 30_000;
    for (;;) {
      await deliver(payload);
      try {
        return await eventually(async () => check(await notifications()), { timeout: 3_000, message });
      } catch (e) {
        if (Date.now() > end) throw e;
      }
    }
  };
  return { deliver, notifications, until, errors };
}

let server;
let browser;

describe('push notifications in the browser', () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows a notification per chat, not while that chat is visible, and withdraws it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    await context.grantPermissions(['notifications'], { origin: server.base });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    let prompts = 0;
    page.on('dialog', () => (prompts += 1));

    const alice = (await api(server.base, 'POST', '/register', { username: 'alice', display_name: 'Alice', password: 'alice-password-1' })).data;
    await page.goto(server.base + '/');
    await page.getByRole('tab', { name: 'Create account' }).click();
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Your name').fill('Bob');
    await page.getByLabel('Password').fill('bob-password-1');
    await page.getByRole('button', { name: 'Create account' }).last().click();
    await page.getByRole('button', { name: 'Main menu' }).waitFor();
    const conv = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation;
    await api(server.base, 'POST', `/conversations/${conv.id}/messages`, { client_id: 'e2e-1', text: 'hello bob' }, alice.token);
    assert.equal(prompts, 0, 'no prompt on load');

    // The service worker is running; find its registration for the DevTools protocol.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const { deliver, notifications, until, errors } = await pushChannel(context, page, server.base);
    const push = {
      type: 'message', tag: `c${conv.id}`, conversation_id: conv.id, seq: 2, count: 2, badge: 2, kind: 'direct',
      conversation_name: '', sender: { id: alice.user.id, username: 'alice', display_name: 'Alice' }, text: 'are you there?', ts: Date.now(),
    };

    // The chat list is showing, not the chat: a notification, titled by the sender.
    const shown = await until(push, (ns) => ns.find((n) => n.tag === `c${conv.id}`), 'a notification');
    assert.deepEqual(shown, { title: 'Alice', body: 'are you there? (2 new messages)', tag: `c${conv.id}`, url: `/c/${conv.id}`, requireInteraction: false });

    // A withdraw closes it.
    await until({ type: 'withdraw', tag: `c${conv.id}`, conversation_id: conv.id, seq: 2 }, (ns) => ns.length === 0, 'the notification withdrawn');

    // "Only New message": no sender, no text.
    const hidden = await until({ type: 'message', tag: `c${conv.id}`, conversation_id: conv.id, seq: 3, count: 1, badge: 1, kind: 'direct' },
      (ns) => ns[0], 'a hidden-preview notification');
    assert.equal(hidden.title, 'Parley');
    assert.equal(hidden.body, 'New message');
    await until({ type: 'withdraw', tag: `c${conv.id}`, conversation_id: conv.id, seq: 3 }, (ns) => ns.length === 0, 'withdrawn again');

    // With the chat open and visible, nothing is shown; a push for another chat still is.
    await page.goto(`${server.base}/c/${conv.id}`);
    await page.getByRole('button', { name: 'Main menu' }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await deliver({ ...push, seq: 4, text: 'visible chat' });
    const other = await until({ ...push, tag: 'c999', conversation_id: 999, seq: 1, count: 1, text: 'another chat' },
      (ns) => ns.find((n) => n.tag === 'c999'), 'the other chat\'s notification');
    assert.equal(other.body, 'another chat');
    assert.equal((await notifications()).filter((n) => n.tag === `c${conv.id}`).length, 0, 'none for the visible chat');

    // The chat's menu mutes it; the server keeps it, and the menu then offers to unmute.
    await page.getByRole('button', { name: 'Chat menu' }).click();
    await page.getByRole('menuitem', { name: 'Mute for 8 hours' }).click();
    const bob = (await api(server.base, 'POST', '/login', { username: 'bob', password: 'bob-password-1' })).data;
    const muted = await eventually(async () => {
      const c = (await api(server.base, 'GET', `/conversations/${conv.id}`, undefined, bob.token)).data.conversation;
      return c.muted_until > Date.now() ? c.muted_until : null;
    }, { message: 'the conversation muted on the server' });
    assert.ok(muted - Date.now() <= 8 * 3600 * 1000);
    await page.getByRole('button', { name: 'Chat menu' }).click();
    await page.getByRole('menuitem', { name: 'Unmute notifications' }).click();
    await eventually(async () => (await api(server.base, 'GET', `/conversations/${conv.id}`, undefined, bob.token)).data.conversation.muted_until === 0,
      { message: 'unmuted on the server' });

    // The opt-in is in Settings.
    await page.getByRole('button', { name: 'Settings and contacts' }).click();
    const toggle = page.getByRole('switch', { name: 'Notifications on this device' });
    await toggle.waitFor();
    assert.equal(await toggle.isChecked(), false, 'off until the user opts in');
    assert.deepEqual(errors, [], 'no error in the service worker');
    assertNoCspViolations(assert);
    await context.close();
  });

  it('shows an incoming call until it is withdrawn', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    await context.grantPermissions(['notifications'], { origin: server.base });
    const page = await context.newPage();
    await page.goto(server.base + '/');
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const { until, errors } = await pushChannel(context, page, server.base);
    const callId = '0123456789abcdef0123456789abcdef';
    const shown = await until({
      type: 'call', tag: `call${callId}`, call_id: callId, conversation_id: 42, media: 'video',
      caller: { id: 1, username: 'alice', display_name: 'Alice' }, ts: Date.now(),
    }, (ns) => ns.find((n) => n.tag === `call${callId}`), 'the call notification');
    assert.deepEqual(shown, { title: 'Incoming call from Alice', body: 'Video call', tag: `call${callId}`, url: '/c/42', requireInteraction: true });
    await until({ type: 'withdraw', tag: `call${callId}`, call_id: callId, conversation_id: 42 }, (ns) => ns.length === 0, 'the call notification withdrawn');
    // With previews hidden there is no caller; a withdraw with only the tag closes it too.
    const anonymous = await until({ type: 'call', tag: `call${callId}`, call_id: callId, conversation_id: 42, media: 'audio', ts: Date.now() },
      (ns) => ns[0], 'the hidden-preview call notification');
    assert.equal(anonymous.title, 'Incoming call');
    assert.equal(anonymous.body, 'Voice call');
    await until({ type: 'withdraw', tag: `call${callId}` }, (ns) => ns.length === 0, 'withdrawn by its tag alone');
    assert.deepEqual(errors, [], 'no error in the service worker');
    assertNoCspViolations(assert);
    await context.close();
  });
});
