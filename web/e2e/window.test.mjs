// End-to-end: the windowed message list of a long chat (1,200 messages). Scrolling back
// through all of it keeps the DOM to the blocks near the view, each older page goes in above
// without moving what is on screen, and scrolling through the list moves every row by
// exactly the distance scrolled while blocks are drawn and left out. What changes in rows that
// are not drawn shows when they are drawn again; the jump button brings back the newest rows
// and a quote brings back a message far above; the next older page is fetched ahead, so it
// is drawn even when the server cannot be reached at that moment. No step depends on the
// machine's speed: each waits for a condition or a number of frames.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';
import { bubble, signUp } from './steps.mjs';

const DESKTOP = { width: 1440, height: 900 };
const COUNT = 1200;
/** Rows the DOM may hold at most: a few screens of rows and a page, far below the 1,200 held. */
const MAX_DRAWN = 400;

let server;
let browser;
let alice;
let bobToken;
let conversationId;
let lastSeq;

async function send(token, text, extra = {}) {
  const r = await api(server.base, 'POST', `/conversations/${conversationId}/messages`,
    { client_id: `w-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, text, ...extra }, token);
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.message;
}

/** Resolves after `n` animation frames of the page. */
const frames = (page, n = 3) => page.evaluate((k) => new Promise((done) => {
  const step = () => (k-- <= 0 ? done() : requestAnimationFrame(step));
  step();
}), n);

const drawnRows = (page) => page.evaluate(() => document.querySelectorAll('.messages .msg').length);
const oldestDrawn = (page) => page.evaluate(() => Number(document.querySelector('.messages .msg[data-seq]')?.dataset.seq));
/** Where the message `seq` is, relative to the top of the list's box (null: not drawn). */
const topOf = (page, seq) => page.evaluate((s) => {
  const m = document.querySelector(`.messages .msg[data-seq="${s}"]`);
  return m ? m.getBoundingClientRect().top - document.querySelector('.messages').getBoundingClientRect().top : null;
}, seq);

/** Resolves once no older rows are being loaded or drawn (the list is not aria-busy). */
const notBusy = (page) => page.waitForFunction(() => document.querySelector('.messages').getAttribute('aria-busy') !== 'true', null, { timeout: 30_000 });

/** A fresh device of Alice's (it holds only what the sync brings): `watch` sees its page before it loads. */
async function aliceOnNewDevice(watch = () => {}) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  watch(page);
  await page.goto(server.base + '/');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('pw-alice-123');
  await page.getByRole('button', { name: 'Log in' }).last().click();
  await page.locator('.chat-row', { hasText: 'Bob Builder' }).click();
  return { context, page };
}

before(async () => {
  server = await startServer({ extraArgs: ['--rate-send-per-sec', '0'] });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('A long chat, windowed', () => {
  it('scrolling back through 1,200 messages keeps the DOM bounded and the view in place', async () => {
    alice = await signUp(browser, server, DESKTOP, 'alice', 'Alice Liddell', 'pw-alice-123');
    const bob = await api(server.base, 'POST', '/register', { username: 'bob', display_name: 'Bob Builder', password: 'pw-bob-1234' });
    bobToken = bob.data.token;
    conversationId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    await send(alice.token, 'The very first message');
    // Rows of one to three lines.
    const queue = [...Array(COUNT).keys()];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await send(i % 3 ? bobToken : alice.token, `Filler ${i}: ${'lorem ipsum '.repeat(1 + ((i * 7) % 12))}`);
      }
    }));
    lastSeq = (await send(alice.token, 'Back to the start', { reply_to: 1 })).seq;

    // Alice signs in on another device, which holds only the newest messages: older pages come from the server.
    await alice.context.close();
    const { context, page } = await aliceOnNewDevice();
    alice = { context, page, token: alice.token };
    await bubble(page, 'Back to the start').waitFor();
    let measured = 0;
    for (let pages = 0; (await oldestDrawn(page)) > 1; pages++) {
      assert.ok(pages < 100, 'the first message is reached');
      // To the top. If a drawn block is there (not a spacer of blocks left out), where its first
      // message is then: older rows go in above it and it stays where it was.
      const probe = await page.evaluate(() => {
        const list = document.querySelector('.messages');
        list.scrollTop = 0;
        const first = list.querySelector(':scope > .msg-block, :scope > .msg-gap');
        const m = list.querySelector('.msg[data-seq]');
        const y = first.classList.contains('msg-block') ? m.getBoundingClientRect().top - list.getBoundingClientRect().top : null;
        return { seq: Number(m.dataset.seq), y };
      });
      const first = probe.seq;
      // Older rows drawn at the top; or, from inside a spacer (blocks not drawn), the blocks
      // there drawn, or the view kept on what it showed while rows went in above it.
      await page.waitForFunction(([s, spacer]) => {
        const list = document.querySelector('.messages');
        return Number(list.querySelector('.msg[data-seq]')?.dataset.seq) < s || (spacer && list.scrollTop > 0);
      }, [first, probe.y === null], { timeout: 30_000 });
      // A page of older rows goes in a few rows per frame, the list aria-busy meanwhile, and the
      // view is kept in every frame drawn. Measured once all of it is in: layout read between
      // two of those frames can show rows in place before the frame that keeps the view.
      await notBusy(page);
      await frames(page);
      if (probe.y !== null) {
        const y = await topOf(page, first);
        assert.ok(Math.abs(y - probe.y) <= 1, `message ${first} kept its place when older rows went in above it (${probe.y} -> ${y})`);
        measured++;
      }
      const drawn = await drawnRows(page);
      assert.ok(drawn <= MAX_DRAWN, `${drawn} rows drawn after page ${pages}`);
    }
    assert.ok(measured >= 10, `the view was checked at ${measured} pages`);
    assert.equal(await page.locator(`.msg[data-seq="${lastSeq}"]`).count(), 0, 'the newest rows are not drawn at the top of the chat');
    assert.ok(await page.locator('.messages .msg-gap').count() > 0, 'a spacer stands for them');
  });

  it('scrolling down moves every row by the distance scrolled while blocks come and go', async () => {
    const page = alice.page;
    // Down to two screens above the newest rows (the jump button goes away at the bottom).
    for (let step = 0; step < 60; step++) {
      // A message in the middle of the view.
      const seq = await page.evaluate(() => {
        const list = document.querySelector('.messages');
        const box = list.getBoundingClientRect();
        const mid = box.top + box.height / 2;
        const m = [...list.querySelectorAll('.msg[data-seq]')].find((e) => e.getBoundingClientRect().bottom > mid);
        return Number(m.dataset.seq);
      });
      const y = await topOf(page, seq);
      const moved = await page.evaluate(() => {
        const list = document.querySelector('.messages');
        const from = list.scrollTop;
        if (list.scrollHeight - from - list.clientHeight < 2400) return 0;
        list.scrollTop = from + 600;
        return list.scrollTop - from;
      });
      if (moved === 0) {
        assert.ok(step >= 20, `scrolled down ${step} steps`);
        break;
      }
      await frames(page);
      const now = await topOf(page, seq);
      assert.notEqual(now, null, `message ${seq} is still drawn`);
      assert.ok(Math.abs(now - (y - moved)) <= 1, `message ${seq} moved by ${y - now} px for ${moved} px scrolled (step ${step})`);
      assert.ok((await drawnRows(page)) <= MAX_DRAWN, 'the DOM stays bounded while scrolling down');
    }
  });

  it('rows changed while not drawn show the change; the jump button brings the newest back', async () => {
    const page = alice.page;
    await page.evaluate(() => (document.querySelector('.messages').scrollTop = 0));
    await page.locator('.msg[data-seq="1"]').waitFor();
    await eventually(async () => (await page.locator(`.msg[data-seq="${lastSeq}"]`).count()) === 0, { message: 'the newest rows left out' });
    // An edit of a message that is not drawn, and a new message from Bob.
    const edited = await api(server.base, 'PATCH', `/conversations/${conversationId}/messages/${lastSeq}`, { text: 'Back to the very start' }, alice.token);
    assert.equal(edited.status, 200, JSON.stringify(edited.data));
    await send(bobToken, 'Are you still there?');
    const jump = page.getByRole('button', { name: /Newest messages/ });
    await eventually(async () => /1 new/.test((await jump.textContent()) ?? ''), { message: 'the jump button counts the new message' });
    await jump.click();
    const newest = bubble(page, 'Are you still there?');
    await newest.waitFor();
    await eventually(async () => {
      const box = await newest.boundingBox();
      return box && box.y + box.height <= DESKTOP.height;
    }, { message: 'the newest message in view' });
    const reply = bubble(page, 'Back to the very start');
    await reply.waitFor();
    assert.match(await reply.locator('.edited').textContent(), /edited/);
  });

  it('a quote of a message far above draws it again, scrolled into view, as it is now', async () => {
    const page = alice.page;
    assert.equal(await page.locator('.msg[data-seq="1"]').count(), 0, 'the first message is not drawn at the bottom');
    const edited = await api(server.base, 'PATCH', `/conversations/${conversationId}/messages/1`, { text: 'The very first message, edited' }, alice.token);
    assert.equal(edited.status, 200, JSON.stringify(edited.data));
    await bubble(page, 'Back to the very start').locator('.reply-quote').click();
    const original = page.locator('.msg[data-seq="1"]');
    await original.waitFor();
    await eventually(async () => (await original.getAttribute('class')).includes('highlighted'), { message: 'original highlighted' });
    await eventually(async () => {
      const box = await original.boundingBox();
      return box && box.y >= 0 && box.y + box.height <= DESKTOP.height;
    }, { message: 'original scrolled into view' });
    assert.match(await original.textContent(), /The very first message, edited/);
    assert.ok((await drawnRows(page)) <= MAX_DRAWN, 'the DOM stays bounded after the jump');
    // Its block was drawn with the blocks around it: the view does not jump while those above come in.
    const y = await topOf(page, 1);
    await frames(page, 4);
    assert.ok(Math.abs((await topOf(page, 1)) - y) <= 1, 'the message jumped to stays in place');
    assertNoCspViolations(assert);
  });

  it('the next older page is fetched ahead: scrolling up to it draws it with the server out of reach', async () => {
    // A fresh device again: it holds the newest page only.
    const older = (url) => new URL(url).pathname.endsWith(`/conversations/${conversationId}/messages`) && new URL(url).searchParams.has('before');
    let fetched = 0;
    const { context, page } = await aliceOnNewDevice((p) => p.on('requestfinished', (r) => {
      if (older(r.url())) fetched++;
    }));
    await bubble(page, 'Are you still there?').waitFor();
    const toTop = async () => {
      const oldest = await oldestDrawn(page);
      await page.evaluate(() => (document.querySelector('.messages').scrollTop = 0));
      return oldest;
    };

    // One page up, from the server; once it is drawn, the one above it is fetched too.
    let oldest = await toTop();
    await eventually(async () => (await oldestDrawn(page)) < oldest, { message: 'the first older page is drawn' });
    await notBusy(page);
    await eventually(async () => fetched >= 2, { message: 'the page above it is fetched ahead' });

    // The server out of reach for history: the page fetched ahead is drawn all the same.
    await page.route((url) => older(url.href), (route) => route.abort());
    oldest = await toTop();
    await eventually(async () => (await oldestDrawn(page)) <= oldest - 40, { message: 'the page fetched ahead is drawn' });
    await notBusy(page);
    assert.equal(await page.getByText('Older messages cannot be loaded while offline.').count(), 0, 'no error for a page held');

    // The next one has to come from the server, which is out of reach: the list says so.
    await toTop();
    await page.getByText('Older messages cannot be loaded while offline.').waitFor();
    await context.close();
  });
});
