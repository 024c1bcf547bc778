// End-to-end: two browser contexts against the real parleyd.
// Run with `npm run e2e` (builds first) or `npm run e2e:nobuild` (uses the existing web/dist).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, REPO_DIR, api, eventually, startBrowser, startServer, assertNoCspViolations, cspViolations } from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
let alice; // { context, page }
let bob;
let conversationId;

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

async function startChat(page, username) {
  await page.getByLabel('Start a chat with username').fill(username);
  await page.getByRole('button', { name: 'Chat', exact: true }).click();
  await page.locator('#chat-title').waitFor();
}

async function sendText(page, text) {
  await page.getByLabel(/^Message /).fill(text);
  await page.keyboard.press('Enter');
}

/** Records, in the page, every status each own message shows (by its text). */
async function recordStatuses(page) {
  await page.evaluate(() => {
    const seen = (window.__statuses = {});
    const scan = () => {
      for (const el of document.querySelectorAll('.msg.out')) {
        const text = el.querySelector('.text')?.textContent ?? '';
        const st = el.getAttribute('data-status');
        const list = (seen[text] ??= []);
        if (st && list[list.length - 1] !== st) list.push(st);
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    scan();
  });
}

const statusOf = (page, text) =>
  page.locator('.msg.out', { hasText: text }).last().getAttribute('data-status');

async function waitStatus(page, text, status, timeout = 15_000) {
  await eventually(async () => (await statusOf(page, text)) === status, { timeout, message: `"${text}" to be ${status}` });
}

async function messageTexts(page) {
  return page.locator('.messages .msg .text').allTextContents();
}

/** The texts of the entries in the signed-in user's local outbox (IndexedDB), read directly. */
async function outboxTexts(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const { user } = JSON.parse(localStorage.getItem('parley.session'));
    const open = indexedDB.open(`parley-u${user.id}`);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const req = db.transaction('outbox', 'readonly').objectStore('outbox').getAll();
      req.onsuccess = () => { db.close(); resolve(req.result.map((e) => e.text)); };
      req.onerror = () => { db.close(); reject(req.error); };
    };
  }));
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('Parley web client', () => {
  it('is served with a strict Content-Security-Policy that the browser enforces', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    try {
      const page = await context.newPage();
      const res = await page.goto(server.base + '/');
      const headers = res.headers();
      const csp = headers['content-security-policy'] ?? '';
      for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
        "base-uri 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(headers['x-frame-options'], 'DENY');
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['referrer-policy'], 'no-referrer');
      // The policy is live and the watcher sees breaches: an injected inline script is
      // refused and reported (that expected report is then removed from the list).
      await page.getByRole('tab', { name: 'Create account' }).waitFor();
      const before = cspViolations.length;
      await page.addScriptTag({ content: 'window.__inlineRan = true;' }).catch(() => undefined);
      assert.equal(await page.evaluate(() => window.__inlineRan === true), false, 'inline script must not run');
      const reported = () => cspViolations.slice(before);
      await eventually(() => reported().some((v) => v.includes('[csp] script-src')) &&
        reported().some((v) => /Content Security Policy/.test(v)), { message: 'the inline script to be reported' });
      cspViolations.splice(before);
    } finally {
      await context.close();
    }
  });

  it('two users register, find each other, chat, and see sent -> delivered -> read', async () => {
    alice = await newUser();
    bob = await newUser();
    await register(alice.page, 'alice', 'Alice Liddell', 'pw-alice-123');
    await register(bob.page, 'bob', 'Bob Builder', 'pw-bob-1234');
    // Bob closes the app for now, so Alice's first message can only be "sent".
    await bob.page.goto('about:blank');

    await startChat(alice.page, 'bob');
    assert.equal(await alice.page.locator('#chat-title').textContent(), 'Bob Builder');
    conversationId = Number(/\/c\/(\d+)/.exec(alice.page.url())[1]);
    assert.ok(conversationId > 0);
    await recordStatuses(alice.page);

    await sendText(alice.page, 'Hello Bob');
    await waitStatus(alice.page, 'Hello Bob', 'sent');
    await alice.page.waitForTimeout(700);
    assert.equal(await statusOf(alice.page, 'Hello Bob'), 'sent', 'stays sent while Bob has no device online');

    // Bob opens the app: it syncs, the message reaches his device -> delivered.
    await bob.page.goto(server.base + '/');
    const row = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.waitFor();
    assert.equal((await row.locator('.badge').textContent()).trim(), ', 1 unread message');
    assert.match(await row.locator('.preview-text').textContent(), /Hello Bob/);
    await waitStatus(alice.page, 'Hello Bob', 'delivered');
    assert.equal(await bob.page.title(), '(1) Parley');

    // Bob opens the chat -> read.
    await row.click();
    await bob.page.locator('.msg.in', { hasText: 'Hello Bob' }).waitFor();
    await waitStatus(alice.page, 'Hello Bob', 'read');
    await eventually(async () => (await bob.page.title()) === 'Parley', { message: 'unread count to clear' });

    const seq = await alice.page.evaluate(() => window.__statuses['Hello Bob']);
    assert.deepEqual(seq, ['sending', 'sent', 'delivered', 'read']);

    // And the other way round, live: Alice has the chat open, so Bob's reply is read at once.
    await recordStatuses(bob.page);
    await sendText(bob.page, 'Hi Alice! How are you?');
    await alice.page.locator('.msg.in', { hasText: 'Hi Alice! How are you?' }).waitFor();
    await waitStatus(bob.page, 'Hi Alice! How are you?', 'read');
    const bobSeq = await bob.page.evaluate(() => window.__statuses['Hi Alice! How are you?']);
    assert.equal(bobSeq[0], 'sending');
    assert.equal(bobSeq[bobSeq.length - 1], 'read');

    await sendText(alice.page, 'Great, thanks. Parley works offline too.');
    await waitStatus(alice.page, 'Great, thanks. Parley works offline too.', 'read');
    await sendText(bob.page, 'Nice!');
    await alice.page.locator('.msg.in', { hasText: 'Nice!' }).waitFor();
    assert.deepEqual(await messageTexts(alice.page), ['Hello Bob', 'Hi Alice! How are you?', 'Great, thanks. Parley works offline too.', 'Nice!']);
  });

  it('reload keeps the session, the chats and the messages with their ticks', async () => {
    await alice.page.reload();
    await alice.page.locator('#chat-title').waitFor();
    assert.equal(await alice.page.locator('#chat-title').textContent(), 'Bob Builder');
    await eventually(async () => (await messageTexts(alice.page)).length === 4, { message: '4 messages after reload' });
    assert.equal(await statusOf(alice.page, 'Hello Bob'), 'read');
    const row = alice.page.locator('.chat-row', { hasText: 'Bob Builder' });
    assert.match(await row.locator('.preview-text').textContent(), /Nice/);
    assert.equal(await row.locator('.badge').count(), 0);
  });

  it('writes offline, reads old chats offline, and delivers both messages exactly once, in order', async () => {
    const { page, context } = alice;
    // The service worker must control the page before the network goes away.
    await eventually(() => page.evaluate(() => !!navigator.serviceWorker?.controller), { message: 'service worker control' });

    await context.setOffline(true);
    await page.getByText('You are offline').waitFor();
    await sendText(page, 'Offline one');
    await sendText(page, 'Offline two');
    assert.equal(await statusOf(page, 'Offline one'), 'sending');
    assert.equal(await statusOf(page, 'Offline two'), 'sending');
    // Both are in the local database's outbox before the page is left: a page closed in the
    // same instant as Send can lose a write that has not committed yet, in any browser, and
    // how long a commit takes depends on the machine, which the test must not.
    await eventually(async () => {
      const texts = await outboxTexts(page);
      return texts.includes('Offline one') && texts.includes('Offline two') && texts;
    }, { message: 'both offline messages in the local outbox' });

    // Reading old chats offline: leave the chat, reopen it from the list, everything is there.
    await page.goto(server.base + '/');
    await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await eventually(async () => (await messageTexts(page)).length === 6, { message: 'old messages + 2 pending offline' })
      .catch(async (e) => {
        throw new Error(`${e.message}; shown: ${JSON.stringify(await messageTexts(page))}; outbox: ${JSON.stringify(await outboxTexts(page))}`);
      });
    assert.deepEqual((await messageTexts(page)).slice(-2), ['Offline one', 'Offline two']);
    assert.equal(await statusOf(page, 'Offline two'), 'sending');

    // Nothing reached the server yet.
    const bobToken = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);
    const before = await api(server.base, 'GET', `/conversations/${conversationId}/messages?limit=50`, undefined, bobToken);
    assert.equal(before.status, 200);
    assert.equal(before.data.messages.filter((m) => m.text.startsWith('Offline')).length, 0);

    await context.setOffline(false);
    await waitStatus(page, 'Offline two', 'read', 20_000);
    await bob.page.locator('.msg.in', { hasText: 'Offline two' }).waitFor();
    await page.waitForTimeout(1000);

    const texts = await messageTexts(bob.page);
    assert.equal(texts.filter((t) => t === 'Offline one').length, 1);
    assert.equal(texts.filter((t) => t === 'Offline two').length, 1);
    assert.ok(texts.indexOf('Offline one') < texts.indexOf('Offline two'));

    const after = await api(server.base, 'GET', `/conversations/${conversationId}/messages?limit=50`, undefined, bobToken);
    const stored = after.data.messages.filter((m) => m.text.startsWith('Offline')).sort((a, b) => a.seq - b.seq);
    assert.deepEqual(stored.map((m) => m.text), ['Offline one', 'Offline two']);
    assert.equal(stored[1].seq, stored[0].seq + 1);
    assert.equal(new Set(stored.map((m) => m.client_id)).size, 2);
  });

  it('opens the app shell with no network (service worker) and shows stored chats', async () => {
    const { context } = alice;
    await context.setOffline(true);
    const page = await context.newPage();
    try {
      const res = await page.goto(server.base + '/');
      assert.ok(res === null || res.ok() || res.fromServiceWorker());
      await page.getByRole('button', { name: 'Main menu' }).waitFor();
      await page.locator('.chat-row', { hasText: 'Bob Builder' }).waitFor();
      assert.match(await page.locator('.chat-row .preview-text').first().textContent(), /Offline two/);
      await page.getByText('You are offline').waitFor();
    } finally {
      await page.close();
      await context.setOffline(false);
    }
  });

  it('loads older history lazily while scrolling up', async () => {
    // Alice's app is closed while Carol writes, so only sync brings the messages.
    await alice.page.goto('about:blank');
    // Carol writes 130 messages to Alice over HTTP (paced by the send rate limit).
    const carol = await api(server.base, 'POST', '/register', { username: 'carol', display_name: 'Carol Chen', password: 'pw-carol-123' });
    assert.equal(carol.status, 201);
    const conv = await api(server.base, 'POST', '/conversations', { peer_username: 'alice' }, carol.data.token);
    assert.equal(conv.status, 201);
    const cid = conv.data.conversation.id;
    for (let i = 1; i <= 130; ) {
      const r = await api(server.base, 'POST', `/conversations/${cid}/messages`, { client_id: `carol-${i}`, text: `Carol ${i}` }, carol.data.token);
      if (r.status === 429) {
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      assert.equal(r.status, 200, JSON.stringify(r.data));
      assert.equal(r.data.message.seq, i);
      i++;
    }
    const { page } = alice;
    await page.goto(server.base + '/');
    const row = page.locator('.chat-row', { hasText: 'Carol Chen' });
    await row.waitFor();
    await eventually(async () => (await row.locator('.badge').textContent())?.trim() === ', 130 unread messages', { message: 'badge 130' });
    // The title follows the badge after the next paint (an effect), not in the same render.
    await eventually(async () => (await page.title()) === '(130) Parley', { message: 'title (130) Parley' });
    // The newest chat is on top.
    assert.match(await page.locator('.chat-row .row-name').first().textContent(), /Carol Chen/);

    await row.click();
    await page.locator('.msg.in .text', { hasText: /^Carol 130$/ }).waitFor();
    const firstCount = await page.locator('.messages .msg').count();
    assert.ok(firstCount < 130, `only the newest page at first (got ${firstCount})`);
    await eventually(async () => (await page.title()) === 'Parley', { message: 'title without unread after opening' });

    const list = page.locator('.messages');
    await eventually(
      async () => {
        await list.evaluate((el) => el.scrollTo(0, 0));
        return (await page.locator('.messages .msg[data-seq="1"]').count()) === 1;
      },
      { timeout: 20_000, interval: 300, message: 'the first message after scrolling up' },
    );
    // The list draws only the rows near the view: read them all on the way down, a screen at a time.
    const seen = new Map();
    for (let more = true; more; ) {
      const drawn = await list.evaluate((el) => [...el.querySelectorAll('.msg[data-seq]')].map((m) => [Number(m.dataset.seq), m.querySelector('.text')?.textContent]));
      assert.ok(drawn.every(([seq], i) => i === 0 || seq > drawn[i - 1][0]), 'drawn once each, in order');
      for (const [seq, text] of drawn) seen.set(seq, text);
      more = await list.evaluate((el) => {
        const from = el.scrollTop;
        el.scrollTop = from + el.clientHeight;
        return el.scrollTop > from;
      });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    const texts = [...seen].sort((a, b) => a[0] - b[0]).map(([, text]) => text);
    assert.deepEqual(texts, Array.from({ length: 130 }, (_, i) => `Carol ${i + 1}`));
    assert.equal(await page.getByRole('button', { name: 'Load older messages' }).count(), 0);
  });

  it('marks a message the server refuses as failed, with a tap to retry', async () => {
    const { page } = alice;
    await page.locator('.chat-row', { hasText: 'Carol Chen' }).click();
    await recordStatuses(page);
    // A NUL character is refused by the server (invalid_utf8): a permanent error.
    await page.getByLabel(/^Message /).evaluate((el) => {
      el.focus();
      el.value = 'bad\u0000text';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.keyboard.press('Enter');
    const failed = page.locator('.msg.out.failed');
    await failed.waitFor();
    assert.equal(await failed.getAttribute('data-status'), 'failed');
    assert.equal(await failed.locator('.tick-failed').getAttribute('aria-label'), 'Not sent. Tap to retry');
    // Later messages are not held back by the failed one.
    await sendText(page, 'After the failed one');
    await waitStatus(page, 'After the failed one', 'sent');
    await failed.getByRole('button', { name: 'Not sent. Tap to retry' }).click();
    await eventually(async () => (await page.locator('.msg.out.failed').count()) === 1, { message: 'fails again' });
    const seq = await page.evaluate(() => Object.entries(window.__statuses).find(([k]) => k.startsWith('bad'))?.[1]);
    assert.deepEqual(seq, ['sending', 'failed', 'sending', 'failed']);
    await failed.getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => (await page.locator('.msg.out.failed').count()) === 0, { message: 'failed message deleted' });
  });

  it('saves screenshots at desktop and phone widths', async () => {
    const { page } = alice;
    await page.goto(server.base + '/');
    await page.locator('.chat-row').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-chat-list.png') });
    await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await page.locator('.msg.out').last().waitFor();
    await waitStatus(page, 'Offline two', 'read');
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-chat.png') });
    // The README's picture is refreshed only on request, so a test run leaves the tree clean.
    if (process.env.PARLEY_UPDATE_SCREENSHOT === '1') {
      await page.screenshot({ path: join(REPO_DIR, 'docs', 'screenshot.png') });
    }

    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB', timezoneId: 'UTC' });
    const p = await phone.newPage();
    await p.goto(server.base + '/');
    await p.getByRole('tab', { name: 'Log in' }).click();
    await p.getByLabel('Username').fill('bob');
    await p.getByLabel('Password').fill('pw-bob-1234');
    await p.getByRole('button', { name: 'Log in' }).last().click();
    const row = p.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.waitFor();
    // Phone width: the list alone, no chat pane.
    assert.equal(await p.locator('.main').isVisible(), false);
    await p.screenshot({ path: join(ARTIFACTS, 'phone-chat-list.png') });
    await row.click();
    await p.locator('.msg', { hasText: 'Offline two' }).waitFor();
    assert.equal(await p.locator('.sidebar').isVisible(), false);
    await p.screenshot({ path: join(ARTIFACTS, 'phone-chat.png') });
    // The back button returns to the list.
    await p.getByRole('button', { name: 'Back to chats' }).click();
    await row.waitFor();
    assert.equal(await p.locator('.sidebar').isVisible(), true);
    await phone.close();
  });

  it('logs out and back in', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: 'Main menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('tab', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('parley.session')), null);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).last().click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await page.getByLabel('Password').fill('pw-alice-123');
    await page.getByRole('button', { name: 'Log in' }).last().click();
    const row = page.locator('.chat-row', { hasText: 'Bob Builder' });
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await eventually(async () => (await messageTexts(page)).includes('Offline two'), { message: 'history after login' });
  });
  it('notifies while the tab is hidden and sends read only once it is visible again', async () => {
    await alice.page.goto('about:blank'); // only the new device below is online for Alice
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' });
    await context.addInitScript(() => {
      let hidden = false;
      Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
      Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
      window.__setHidden = (h) => {
        hidden = h;
        document.dispatchEvent(new Event('visibilitychange'));
      };
      window.__notifications = [];
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() {
          return Promise.resolve('granted');
        }
        constructor(title, options) {
          window.__notifications.push({ title, body: options?.body, tag: options?.tag });
        }
        close() {}
      };
    });
    const page = await context.newPage();
    try {
      await page.goto(server.base + '/');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('pw-alice-123');
      await page.getByRole('button', { name: 'Log in' }).last().click();
      await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
      await page.locator('.msg', { hasText: 'Offline two' }).waitFor();
      await page.evaluate(() => window.__setHidden(true));

      await recordStatuses(bob.page);
      await sendText(bob.page, 'Are you there?');
      await eventually(() => page.evaluate(() => window.__notifications.length === 1), { message: 'a notification' });
      const [n] = await page.evaluate(() => window.__notifications);
      assert.equal(n.title, 'Bob Builder');
      assert.equal(n.body, 'Are you there?');
      // The title follows the next render (renders are batched to animation frames).
      await eventually(async () => (await page.title()) === '(1) Parley', { message: 'unread count in the title' });
      // Delivered to Alice's device, but not read while her tab is hidden.
      await waitStatus(bob.page, 'Are you there?', 'delivered');
      await bob.page.waitForTimeout(800);
      assert.equal(await statusOf(bob.page, 'Are you there?'), 'delivered');

      await page.evaluate(() => window.__setHidden(false));
      await waitStatus(bob.page, 'Are you there?', 'read');
      await eventually(async () => (await page.title()) === 'Parley', { message: 'title cleared' });
      // Never backwards, delivered then read last. The ack and Alice's delivered receipt can
      // reach Bob's page within one animation frame (renders are batched to frames), so
      // "sent" may never be drawn; "sending" may be gone before the observer's first scan.
      const statuses = await bob.page.evaluate(() => window.__statuses['Are you there?']);
      const order = ['sending', 'sent', 'delivered', 'read'];
      assert.deepEqual(statuses.slice(-2), ['delivered', 'read'], `statuses: ${statuses}`);
      assert.ok(statuses.every((s, i) => order.includes(s) && (i === 0 || order.indexOf(s) > order.indexOf(statuses[i - 1]))), `statuses: ${statuses}`);
    } finally {
      await context.close();
    }
  });
  it('reconnects after a server restart, syncs, and sends what was written meanwhile', async () => {
    await alice.page.goto(server.base + '/');
    await alice.page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
    await alice.page.locator('.msg', { hasText: 'Are you there?' }).waitFor();
    await server.kill();
    await bob.page.getByText('You are offline').or(bob.page.getByText('Connecting…')).first().waitFor();
    await sendText(bob.page, 'Written while the server was down');
    assert.equal(await statusOf(bob.page, 'Written while the server was down'), 'sending');
    await server.launch();
    // Backoff starts at 0.5 s doubling (+-50%); a few seconds suffice.
    await alice.page.locator('.msg.in', { hasText: 'Written while the server was down' }).waitFor({ timeout: 40_000 });
    await waitStatus(bob.page, 'Written while the server was down', 'read', 20_000);
    const texts = await messageTexts(alice.page);
    assert.equal(texts.filter((t) => t === 'Written while the server was down').length, 1);
    await eventually(async () => (await bob.page.locator('.banner-offline').count()) === 0, { message: 'online banner gone' });
  });
  it('signs a device out when its session is revoked from another device', async () => {
    const other = await api(server.base, 'POST', '/login', { username: 'bob', password: 'pw-bob-1234', device_name: 'e2e' });
    assert.equal(other.status, 200);
    const r = await api(server.base, 'POST', '/logout-others', {}, other.data.token);
    assert.equal(r.status, 200);
    assert.ok(r.data.revoked >= 1);
    await bob.page.getByRole('tab', { name: 'Log in' }).waitFor({ timeout: 15_000 });
    assert.equal(await bob.page.evaluate(() => localStorage.getItem('parley.session')), null);
    const dbs = await bob.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(!dbs.some((n) => n?.startsWith('parley-')), `local data removed, found ${dbs}`);
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
