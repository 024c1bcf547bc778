// A heavy user in the web client, measured: one account with many chats and many messages,
// seeded through the API (the seeding server runs with its rate limits lifted), then opened
// in Chromium. Prints the figures issue #18 sets targets for; asserts nothing, so it is not
// part of `npm run e2e`. Run from web/ after `npm run build`:
//
//   PARLEYD=$PWD/../build/debug/bin/parleyd node e2e/heavy.bench.mjs [chats] [messages] [biggest]
//
// (web/README.md's "Heavy users" figures come from the debug build; a release build is faster.)
//
// Defaults: 1050 chats, 100000 messages, the biggest chat 15000 (the account).
// PARLEY_BENCH_PROFILE=1 also records Chromium's performance trace while scrolling back and
// during the heavy cold load, and prints what their longest tasks are made of (e2e/trace.mjs).
import { startBrowser, startServer, api } from './harness.mjs';
import { printTasks, startTrace } from './trace.mjs';

const CHATS = Number(process.argv[2] ?? 1050);
const MESSAGES = Number(process.argv[3] ?? 100_000);
const BIGGEST = Math.min(Number(process.argv[4] ?? 15_000), MESSAGES);
const PASSWORD = 'heavy-user-password-1';
const PROFILE = !!process.env.PARLEY_BENCH_PROFILE;
const LIFTED = ['--rate-send-per-sec', '1000000', '--rate-send-burst', '1000000', '--rate-other-per-sec', '1000000',
  '--rate-other-burst', '1000000', '--rate-register-per-min', '1000000', '--rate-login-per-min', '1000000'];

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

function must(r, what) {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

async function seed(base) {
  const t0 = performance.now();
  const heavy = must(await api(base, 'POST', '/register', { username: 'heavy', display_name: 'Heavy User', password: PASSWORD }), 'register');
  const peers = [];
  await pool([...Array(CHATS).keys()], 16, async (i) => {
    const username = `peer${String(i).padStart(5, '0')}`;
    const r = must(await api(base, 'POST', '/register', { username, display_name: `Peer ${i}`, password: PASSWORD }), 'register peer');
    const c = must(await api(base, 'POST', '/conversations', { peer_username: 'heavy' }, r.token), 'open chat');
    peers[i] = { token: r.token, conversation: c.conversation.id };
  });
  // The biggest chat first, the rest spread evenly; a quarter of the messages are the heavy user's own.
  const plan = [];
  const rest = MESSAGES - BIGGEST;
  for (let i = 0; i < BIGGEST; i++) plan.push(0);
  for (let i = 0; i < rest; i++) plan.push(1 + (i % Math.max(1, CHATS - 1)));
  let n = 0;
  await pool(plan, 64, async (chat, i) => {
    const p = peers[Math.min(chat, CHATS - 1)];
    const token = i % 4 === 0 ? heavy.token : p.token;
    must(await api(base, 'POST', `/conversations/${p.conversation}/messages`, { client_id: `h${i}`, text: `Message ${i}: ${'lorem ipsum '.repeat(1 + (i % 5))}` }, token), 'send');
    n++;
  });
  // The biggest chat on top of the list, so it can be opened from there.
  must(await api(base, 'POST', `/conversations/${peers[0].conversation}/messages`, { client_id: 'h-last', text: 'The newest message' }, peers[0].token), 'send');
  return { seconds: (performance.now() - t0) / 1000, messages: n, biggest: peers[0].conversation };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const ms = (x) => `${Math.round(x)} ms`;

async function main() {
  const server = await startServer({ extraArgs: LIFTED });
  const browser = await startBrowser();
  try {
    const seeded = await seed(server.base);
    console.log(`seeded ${CHATS} chats, ${seeded.messages} messages (biggest ${BIGGEST}) in ${seeded.seconds.toFixed(1)} s`);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    // Long tasks and frame times, recorded from the first script on (through the DevTools
    // protocol, so the page's Content-Security-Policy is not involved).
    await context.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      window.__frames = null;
      window.__recordFrames = () => {
        window.__frames = [];
        let last = performance.now();
        const tick = (t) => {
          if (!window.__frames) return;
          window.__frames.push(t - last);
          last = t;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      };
      window.__stopFrames = () => {
        const f = window.__frames;
        window.__frames = null;
        return f;
      };
    });
    const page = await context.newPage();
    const sent = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push({ t: Date.now(), payload: String(f.payload) })));
    await page.goto(server.base + '/');
    await page.getByLabel('Username').fill('heavy');
    await page.getByLabel('Password').fill(PASSWORD);
    const t0 = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Log in' }).last().click();
    await page.locator('.chat-row').first().waitFor({ timeout: 120_000 });
    const tList = await page.evaluate(() => performance.now());
    await page.locator('.banner-sync').waitFor({ state: 'detached', timeout: 300_000 });
    const tSync = await page.evaluate(() => performance.now());
    await page.waitForTimeout(3000);
    const tasks = await page.evaluate(() => window.__longTasks);
    const after = tasks.filter((t) => t.start + t.duration > tList);
    const lastBusy = after.length ? Math.max(...after.map((t) => t.start + t.duration)) - tList : 0;
    const receipts = sent.filter((f) => /"type":"(delivered|read)"/.test(f.payload)).length;
    const listNodes = await page.evaluate(() => document.querySelectorAll('.chat-list *').length);

    // Scroll the list: 40 wheel steps.
    const list = page.locator('.chat-list');
    const box = await list.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const subsBefore = sent.filter((f) => f.payload.includes('presence_subscribe')).length;
    await page.evaluate(() => window.__recordFrames());
    for (let i = 0; i < 40; i++) {
      await page.mouse.wheel(0, 400);
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(500);
    const frames = await page.evaluate(() => window.__stopFrames());
    const subs = sent.filter((f) => f.payload.includes('presence_subscribe')).length - subsBefore;

    // The biggest chat: open it, scroll back through history, reopen it.
    await list.evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(300);
    const bigRow = page.locator(`.chat-row[href$="/c/${seeded.biggest}"]`);
    const tOpen0 = await page.evaluate(() => performance.now());
    await bigRow.click();
    await page.locator('.messages .msg').first().waitFor();
    const tOpen = (await page.evaluate(() => performance.now())) - tOpen0;
    const pages = [];
    const tasksBefore = (await page.evaluate(() => window.__longTasks.length));
    const scrollTrace = PROFILE ? await startTrace(context, page) : null;
    // Back through 3,000 messages (60 pages of 50), or the whole chat if it is shorter.
    for (let i = 0; i < 60; i++) {
      const count = await page.locator('.messages .msg').count();
      const s0 = Date.now();
      await page.locator('.messages').evaluate((el) => (el.scrollTop = 0));
      try {
        await page.waitForFunction((n) => document.querySelectorAll('.messages .msg').length > n, count, { timeout: 10_000 });
      } catch {
        break;
      }
      pages.push(Date.now() - s0);
    }
    const held = await page.locator('.messages .msg').count();
    const scrollTasks = (await page.evaluate(() => window.__longTasks)).slice(tasksBefore);
    if (scrollTrace) printTasks('scrolling back: longest tasks', await scrollTrace.stop());
    const other = page.locator('.chat-row').nth(1);
    await other.click();
    await page.waitForTimeout(300);
    const r0 = await page.evaluate(() => performance.now());
    await bigRow.click();
    await page.locator('.messages .msg').first().waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    const tReopen = (await page.evaluate(() => performance.now())) - r0;

    // Cold load with the CPU slowed 4x: a fresh browser profile (no cache, no service worker,
    // no local database) with a signed-in session, from navigation to the first chat row.
    const coldLoad = async (username, profile = false) => {
      const login = must(await api(server.base, 'POST', '/login', { username, password: PASSWORD, device_name: 'cold' }), 'login');
      const cold = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
      await cold.addInitScript((session) => {
        if (!localStorage.getItem('parley.session')) localStorage.setItem('parley.session', session);
      }, JSON.stringify({ token: login.token, user: login.user, session_id: login.session_id }));
      const coldPage = await cold.newPage();
      const cdp = await cold.newCDPSession(coldPage);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const trace = profile ? await startTrace(cold, coldPage) : null;
      const c0 = Date.now();
      await coldPage.goto(server.base + '/');
      await coldPage.locator('.chat-row').first().waitFor({ timeout: 120_000 });
      const t = Date.now() - c0;
      if (trace) printTasks(`cold load (${username}), CPU 4x slower: longest tasks`, await trace.stop(), { count: 6 });
      await cold.close();
      return t;
    };
    const tColdLight = await coldLoad('peer00001');
    const tCold = await coldLoad('heavy');
    if (PROFILE) await coldLoad('heavy', true);

    const rows = [
      ['cold load to the chat list, CPU 4x slower: 1 chat', ms(tColdLight)],
      [`cold load to the chat list, CPU 4x slower: ${CHATS} chats`, ms(tCold)],
      ['chat list shown after "Log in"', ms(tList - t0)],
      ['first sync done after "Log in"', ms(tSync - t0)],
      ['long tasks after the list appeared', `${after.length} (longest ${ms(Math.max(0, ...after.map((t) => t.duration)))})`],
      ['busy until, after the list appeared', ms(lastBusy)],
      ['receipt frames sent', String(receipts)],
      ['DOM nodes in the chat list', String(listNodes)],
      ['list scroll: frames, p50 / p99 frame', `${frames.length}, ${ms(pct(frames, 50))} / ${ms(pct(frames, 99))}`],
      ['presence_subscribe during 40 wheel steps', String(subs)],
      [`open the biggest chat`, ms(tOpen)],
      [`older pages: ${pages.length}, p50 / max`, `${ms(pct(pages, 50))} / ${ms(Math.max(0, ...pages))} (${held} messages held)`],
      ['long tasks while scrolling back, longest', `${scrollTasks.length}, ${ms(Math.max(0, ...scrollTasks.map((t) => t.duration)))}`],
      ['reopen the biggest chat', ms(tReopen)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

await main();
