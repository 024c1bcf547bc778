// End-to-end: 1:1 calls between two browsers (docs/protocol.md, "Calls"). Chromium's fake
// camera and microphone stand in for real ones; a real coturn on loopback relays the media
// when the caller protects their IP address (relay-only ICE), and parleyd hands out its
// credentials (--turn-urls, --turn-secret-file). The pages run with `parley.test-hooks` set,
// which makes the call controller reachable as window.parleyCalls, to read WebRTC stats.
//
// 1. a video call rings on bob's device, connects, and media flows both ways (inbound-rtp
//    bytes on both sides); mute, switch views; alice hangs up: both see the call's length,
//    and the chat shows "Outgoing video call · m:ss" / "Incoming video call · m:ss";
// 2. with "Protect IP address in calls" on, a voice call still connects and its selected
//    candidate pair is a TURN relay one;
// 3. bob declines: alice sees "Declined" and can call again; the history says so;
// 4. bob calls back from that history line; alice declines;
// 5. bob has two devices: both ring, one answers, the other stops ringing;
// 6. a device of bob's opened while it rings gets the call after connecting and answers it;
// 7. carol calls bob while he is in a call: "Busy"; a group chat has no call buttons;
// 8. (own server, a 2 s ring timeout) nobody answers: bob sees "Missed call", alice "No answer",
//    both chats keep the history line, and the missed call is unread in bob's list.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS, api, assertNoCspViolations, eventually, freePort, startBrowser, startServer } from './harness.mjs';
import { axe, signUp } from './steps.mjs';

const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };
const TURN_SECRET = 'e2e-turn-secret-' + Math.random().toString(36).slice(2);

/**
 * coturn as a plain process on loopback with a temporary config: TURN REST API credentials
 * (the secret parleyd signs with), no TLS, no CLI, and loopback peers allowed (both browsers
 * are on this machine; never allow that in production).
 */
async function startCoturn() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-'));
  const port = await freePort();
  // A relay port range of its own, away from the usual ephemeral ports.
  const base = 40000 + Math.floor(Math.random() * 200) * 100;
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(
    conf,
    [
      'use-auth-secret',
      `static-auth-secret=${TURN_SECRET}`,
      'realm=parley.test',
      'listening-ip=127.0.0.1',
      'relay-ip=127.0.0.1',
      `listening-port=${port}`,
      `min-port=${base}`,
      `max-port=${base + 99}`,
      'no-cli',
      'no-tls',
      'no-dtls',
      'allow-loopback-peers',
      'fingerprint',
      `userdb=${join(dir, 'turndb')}`,
      `pidfile=${join(dir, 'turnserver.pid')}`,
      'simple-log',
      `log-file=${join(dir, 'turn.log')}`,
      '',
    ].join('\n'),
  );
  const log = createWriteStream(join(ARTIFACTS, 'turnserver.log'));
  const proc = spawn(process.env.TURNSERVER ?? 'turnserver', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited = false;
  proc.on('exit', () => (exited = true));
  proc.on('error', (e) => {
    exited = true;
    log.write(String(e));
  });
  // Ready when it listens (a TCP listener opens alongside the UDP one).
  await eventually(
    () =>
      !exited &&
      new Promise((res) => {
        const s = new Socket();
        s.once('connect', () => (s.destroy(), res(true)));
        s.once('error', () => res(false));
        s.connect(port, '127.0.0.1');
      }),
    { timeout: 15_000, message: 'turnserver listening' },
  );
  const secretFile = join(dir, 'turn-secret');
  writeFileSync(secretFile, TURN_SECRET + '\n', { mode: 0o600 });
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secretFile,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        await eventually(() => exited, { timeout: 5000, message: 'turnserver exit' }).catch(() => proc.kill('SIGKILL'));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A signed-up user's page with the call hook on (reloaded so the app starts with it). */
async function user(browser, server, viewport, username, displayName) {
  const u = await signUp(browser, server, viewport, username, displayName, `${username}-password-1`);
  await u.context.grantPermissions(['microphone', 'camera'], { origin: server.base });
  await u.page.evaluate(() => localStorage.setItem('parley.test-hooks', '1'));
  await u.page.reload();
  await u.page.getByRole('button', { name: 'Main menu' }).waitFor();
  const id = await u.page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).user.id);
  return { ...u, id, username };
}

/** Another device of `u`: a browser context of its own with a session of its own. */
async function secondDevice(browser, server, u, viewport) {
  const login = (await api(server.base, 'POST', '/login', { username: u.username, password: `${u.username}-password-1` })).data;
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  await context.grantPermissions(['microphone', 'camera'], { origin: server.base });
  const session = JSON.stringify({ token: login.token, user: login.user, session_id: login.session_id });
  await context.addInitScript((s) => {
    if (!localStorage.getItem('parley.session')) localStorage.setItem('parley.session', s);
    localStorage.setItem('parley.test-hooks', '1');
  }, session);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(server.base + '/');
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
  return { context, page, token: login.token, id: u.id, username: u.username };
}

const phase = (page) => page.evaluate(() => window.parleyCalls?.state.phase ?? 'none');
const callScreen = (page) => page.locator('dialog.call-screen');
const status = (page) => page.locator('#call-status');

/** Bytes received so far per media kind on the page's peer connection. */
function inbound(page) {
  return page.evaluate(async () => {
    const pc = window.parleyCalls?.pc;
    if (!pc) return {};
    const out = {};
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp') out[r.kind] = (out[r.kind] ?? 0) + (r.bytesReceived ?? 0);
    });
    return out;
  });
}

/** The candidate types of the selected (nominated, succeeded) pair. */
function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.parleyCalls?.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    let pairId = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
    });
    const pair = pairId ? stats.get(pairId) : [...stats.values()].find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
    if (!pair) return null;
    const locals = [];
    stats.forEach((r) => r.type === 'local-candidate' && locals.push(r.candidateType));
    return { local: stats.get(pair.localCandidateId)?.candidateType, remote: stats.get(pair.remoteCandidateId)?.candidateType, locals };
  });
}

async function openChat(page, server, convId) {
  await page.goto(`${server.base}/c/${convId}`);
  await page.locator('#chat-title').waitFor();
}

/** The newest call-history line in the open chat. */
const historyLine = (page) => page.locator('.messages .call-line .call-line-text').last();

describe('1:1 calls in the browser', () => {
  let coturn;
  let server;
  let browser;
  let alice;
  let bob;
  let convId;

  before(async () => {
    coturn = await startCoturn();
    server = await startServer({ extraArgs: ['--turn-urls', coturn.url, '--turn-secret-file', coturn.secretFile] });
    browser = await startBrowser({ extraArgs: FAKE_MEDIA });
    alice = await user(browser, server, DESKTOP, 'alice', 'Alice');
    bob = await user(browser, server, PHONE, 'bob', 'Bob');
    convId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    await openChat(alice.page, server, convId);
    await openChat(bob.page, server, convId);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await coturn?.stop();
  });

  it('a video call connects, media flows both ways, and hanging up leaves a history line on both sides', async () => {
    // No call buttons in a group; both in a direct chat.
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await eventually(async () => (await status(alice.page).textContent()) === 'Ringing…', { message: "alice's screen ringing" });
    const ring = callScreen(bob.page);
    await ring.waitFor();
    assert.equal(await bob.page.locator('#call-title').textContent(), 'Alice');
    assert.equal(await status(bob.page).textContent(), 'Incoming video call');
    assert.equal(await bob.page.evaluate(() => window.parleyCalls.ringer.kind), 'incoming', 'bob hears the ring');
    assert.equal(await alice.page.evaluate(() => window.parleyCalls.ringer.kind), 'ringback', 'alice hears the ringback');
    await axe(bob.page, 'incoming call (phone)');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'call-incoming-phone.png') });

    await callScreen(bob.page).getByRole('button', { name: 'Accept with video', exact: true }).click();
    await eventually(async () => (await phase(alice.page)) === 'active' && (await phase(bob.page)) === 'active', { timeout: 30_000, message: 'both sides active' });
    assert.equal(await bob.page.evaluate(() => window.parleyCalls.ringer.kind), null, 'the ring stops');
    for (const [who, u] of [['alice', alice], ['bob', bob]]) {
      await eventually(async () => {
        const b = await inbound(u.page);
        return b.audio > 0 && b.video > 0 ? b : null;
      }, { timeout: 30_000, message: `${who} receiving audio and video` });
    }
    // The timer runs; the other side's video is big, one's own small.
    await eventually(async () => /^\d+:\d\d$/.test(await status(alice.page).textContent()), { message: 'the call timer' });
    await alice.page.locator('video.call-video-big').waitFor();
    await alice.page.locator('video.call-video-small').waitFor();
    assert.equal(await alice.page.locator('video.call-video-big').getAttribute('aria-label'), "Bob's video");
    await callScreen(alice.page).getByRole('button', { name: 'Switch views', exact: true }).click();
    assert.equal(await alice.page.locator('video.call-video-big').getAttribute('aria-label'), 'Your camera');
    // Mute stops sending sound.
    const mute = callScreen(alice.page).getByRole('button', { name: 'Mute', exact: true });
    await mute.click();
    assert.equal(await mute.getAttribute('aria-pressed'), 'true');
    assert.equal(await alice.page.evaluate(() => window.parleyCalls.local.getAudioTracks().every((t) => !t.enabled)), true);
    await mute.click();
    await axe(alice.page, 'in a video call (desktop)');
    await axe(bob.page, 'in a video call (phone)');
    await alice.page.screenshot({ path: join(ARTIFACTS, 'call-video-desktop.png') });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'call-video-phone.png') });

    await callScreen(alice.page).getByRole('button', { name: 'End call', exact: true }).click();
    await eventually(async () => (await phase(bob.page)) === 'ended' || (await phase(bob.page)) === 'idle', { message: "bob's call ended" });
    // Both peer connections are closed and the devices released.
    await eventually(async () => (await alice.page.evaluate(() => window.parleyCalls.pc === null && window.parleyCalls.local === null)), { message: 'alice released' });
    await eventually(async () => (await bob.page.evaluate(() => window.parleyCalls.pc === null && window.parleyCalls.local === null)), { message: 'bob released' });
    await eventually(async () => /^Outgoing video call · \d+:\d\d$/.test(await historyLine(alice.page).textContent()), { message: "alice's history line" });
    await eventually(async () => /^Incoming video call · \d+:\d\d$/.test(await historyLine(bob.page).textContent()), { message: "bob's history line" });
    // The screens close by themselves after a completed call.
    await callScreen(alice.page).waitFor({ state: 'detached' });
    await callScreen(bob.page).waitFor({ state: 'detached' });
    await axe(bob.page, 'a chat with a call-history line (phone)');
  });

  it('with "Protect IP address in calls" on, the call goes through the TURN relay', async () => {
    await alice.page.getByRole('button', { name: 'Settings and contacts' }).click();
    await alice.page.getByRole('switch', { name: 'Protect IP address in calls' }).check();
    await openChat(alice.page, server, convId);

    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await callScreen(bob.page).waitFor();
    assert.equal(await status(bob.page).textContent(), 'Incoming voice call');
    await callScreen(bob.page).getByRole('button', { name: 'Accept', exact: true }).click();
    await eventually(async () => (await phase(alice.page)) === 'active' && (await phase(bob.page)) === 'active', { timeout: 30_000, message: 'relayed call active' });
    const pair = await eventually(() => selectedPair(alice.page), { message: 'a selected candidate pair' });
    assert.ok(pair.local === 'relay' || pair.remote === 'relay', `a relay candidate in the pair: ${JSON.stringify(pair)}`);
    assert.ok(pair.locals.every((t) => t === 'relay'), `alice gathered only relay candidates: ${pair.locals}`);
    await eventually(async () => ((await inbound(bob.page)).audio ?? 0) > 0, { timeout: 30_000, message: 'bob hears alice through the relay' });
    // A voice call shows the avatar, and no camera button.
    await alice.page.locator('.call-avatar').waitFor();
    assert.equal(await callScreen(alice.page).getByRole('button', { name: 'Camera off', exact: true }).count(), 0);

    await callScreen(bob.page).getByRole('button', { name: 'End call', exact: true }).click();
    await eventually(async () => /^Outgoing voice call · \d+:\d\d$/.test(await historyLine(alice.page).textContent()), { message: "alice's history line" });
    await eventually(async () => /^Incoming voice call · \d+:\d\d$/.test(await historyLine(bob.page).textContent()), { message: "bob's history line" });
    await callScreen(alice.page).waitFor({ state: 'detached' });
    // Back to direct connections for the other tests.
    await alice.page.evaluate((id) => localStorage.removeItem(`parley.calls.relay.${id}`), alice.id);
  });

  it('bob declines: alice sees "Declined" and may call again', async () => {
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await callScreen(bob.page).waitFor();
    await callScreen(bob.page).getByRole('button', { name: 'Decline', exact: true }).click();
    await callScreen(bob.page).waitFor({ state: 'detached' });
    await eventually(async () => (await status(alice.page).textContent()) === 'Declined', { message: 'alice sees the decline' });
    await callScreen(alice.page).getByRole('button', { name: 'Call again', exact: true }).waitFor();
    await axe(alice.page, 'a declined call (desktop)');
    assert.equal(await alice.page.evaluate(() => window.parleyCalls.ringer.kind), null);
    await callScreen(alice.page).getByRole('button', { name: 'Close', exact: true }).click();
    await callScreen(alice.page).waitFor({ state: 'detached' });
    await eventually(async () => (await historyLine(alice.page).textContent()) === 'Outgoing voice call · Declined', { message: "alice's history line" });
    await eventually(async () => (await historyLine(bob.page).textContent()) === 'Declined voice call', { message: "bob's history line" });
  });

  it('calls back from a history line', async () => {
    // bob's newest line is alice's declined call: "Call back" calls her with the same media.
    const line = bob.page.locator('.messages .call-line').last();
    assert.equal(await line.locator('.call-line-text').textContent(), 'Declined voice call');
    await line.getByRole('button', { name: 'Call back' }).click();
    await callScreen(alice.page).waitFor();
    assert.equal(await status(alice.page).textContent(), 'Incoming voice call');
    assert.equal(await alice.page.locator('#call-title').textContent(), 'Bob');
    await callScreen(alice.page).getByRole('button', { name: 'Decline', exact: true }).click();
    await eventually(async () => (await status(bob.page).textContent()) === 'Declined', { message: 'bob sees the decline' });
    await callScreen(bob.page).getByRole('button', { name: 'Close', exact: true }).click();
    await eventually(async () => (await historyLine(bob.page).textContent()) === 'Outgoing voice call · Declined', { message: "bob's history line" });
    // His own call's line offers to call again.
    await bob.page.locator('.messages .call-line').last().getByRole('button', { name: 'Call again' }).waitFor();
    await bob.page.screenshot({ path: join(ARTIFACTS, 'call-history-phone.png') });
    await alice.page.screenshot({ path: join(ARTIFACTS, 'call-history-desktop.png') });
  });

  it('bob with two devices: both ring, one answers, the other stops ringing', async () => {
    const bob2 = await secondDevice(browser, server, bob, DESKTOP);
    try {
      await alice.page.getByRole('button', { name: 'Video call' }).click();
      await callScreen(bob.page).waitFor();
      await callScreen(bob2.page).waitFor();
      assert.equal(await bob2.page.evaluate(() => window.parleyCalls.ringer.kind), 'incoming');
      await callScreen(bob2.page).getByRole('button', { name: 'Accept with voice', exact: true }).click();
      await callScreen(bob.page).waitFor({ state: 'detached' });
      assert.equal(await bob.page.evaluate(() => window.parleyCalls.ringer.kind), null, 'the first device stopped ringing');
      assert.equal(await bob.page.evaluate(() => window.parleyCalls.pc), null, 'and never opened a connection');
      await eventually(async () => (await phase(alice.page)) === 'active' && (await phase(bob2.page)) === 'active', { timeout: 30_000, message: 'alice and bob2 connected' });
      await eventually(async () => ((await inbound(alice.page)).audio ?? 0) > 0, { timeout: 30_000, message: 'alice hears bob2' });
      await eventually(async () => ((await inbound(bob2.page)).video ?? 0) > 0, { timeout: 30_000, message: "bob2 sees alice's video" });
      // bob2 answered with voice: his camera is off, and can be turned on.
      const cam = callScreen(bob2.page).getByRole('button', { name: 'Camera off', exact: true });
      assert.equal(await cam.getAttribute('aria-pressed'), 'true');
      await cam.click();
      await eventually(async () => (await cam.getAttribute('aria-pressed')) === 'false', { message: 'camera on' });
      await eventually(async () => ((await inbound(alice.page)).video ?? 0) > 0, { timeout: 30_000, message: "alice sees bob2's camera" });
      await callScreen(bob2.page).getByRole('button', { name: 'End call', exact: true }).click();
      await eventually(async () => (await phase(alice.page)) !== 'active', { message: "alice's call ended" });
      await eventually(async () => /^Incoming video call · \d+:\d\d$/.test(await historyLine(bob.page).textContent()), { message: "bob's first device shows the history line" });
    } finally {
      await bob2.context.close();
    }
  });

  it('a device opened while the call rings (as from its notification) rings too and can answer', async () => {
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await callScreen(bob.page).waitFor();
    const late = await secondDevice(browser, server, bob, PHONE);
    try {
      await callScreen(late.page).waitFor();
      assert.equal(await status(late.page).textContent(), 'Incoming voice call');
      await callScreen(late.page).getByRole('button', { name: 'Accept', exact: true }).click();
      await callScreen(bob.page).waitFor({ state: 'detached' });
      await eventually(async () => (await phase(alice.page)) === 'active' && (await phase(late.page)) === 'active', { timeout: 30_000, message: 'alice and the late device connected' });
      await eventually(async () => ((await inbound(late.page)).audio ?? 0) > 0 && ((await inbound(alice.page)).audio ?? 0) > 0, { timeout: 30_000, message: 'sound both ways' });
      await callScreen(alice.page).getByRole('button', { name: 'End call', exact: true }).click();
      await eventually(async () => (await phase(late.page)) !== 'active', { message: "the late device's call ended" });
    } finally {
      await late.context.close();
    }
  });

  it('a third caller finds bob busy; groups have no call buttons', async () => {
    const carol = await user(browser, server, DESKTOP, 'carol', 'Carol');
    try {
      const carolConv = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, carol.token)).data.conversation.id;
      await openChat(carol.page, server, carolConv);
      await alice.page.getByRole('button', { name: 'Voice call' }).click();
      await callScreen(bob.page).getByRole('button', { name: 'Accept', exact: true }).click();
      await eventually(async () => (await phase(alice.page)) === 'active' && (await phase(bob.page)) === 'active', { timeout: 30_000, message: 'alice and bob in a call' });

      await carol.page.getByRole('button', { name: 'Video call' }).click();
      await eventually(async () => (await status(carol.page).textContent()) === 'Busy', { message: 'carol finds bob busy' });
      await callScreen(carol.page).getByRole('button', { name: 'Call again', exact: true }).waitFor();
      assert.equal(await phase(bob.page), 'active', "bob's call goes on");
      await callScreen(carol.page).getByRole('button', { name: 'Close', exact: true }).click();
      await eventually(async () => (await historyLine(carol.page).textContent()) === 'Outgoing video call · Busy', { message: "carol's history line" });
      await callScreen(alice.page).getByRole('button', { name: 'End call', exact: true }).click();
      await callScreen(bob.page).waitFor({ state: 'detached' });

      // A group chat has no call buttons.
      const group = (await api(server.base, 'POST', '/groups', { name: 'Trio', member_usernames: ['bob', 'alice'] }, carol.token)).data.conversation.id;
      await openChat(carol.page, server, group);
      await carol.page.getByRole('button', { name: 'Group info' }).waitFor();
      assert.equal(await carol.page.getByRole('button', { name: 'Voice call' }).count(), 0);
      assert.equal(await carol.page.getByRole('button', { name: 'Video call' }).count(), 0);
    } finally {
      await carol.context.close();
    }
  });

  it('raises no Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});

describe('an unanswered call', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ extraArgs: ['--call-ring-timeout-s', '2'] });
    browser = await startBrowser({ extraArgs: FAKE_MEDIA });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  it('becomes a missed call for bob and "No answer" for alice, unread in bob\'s list', async () => {
    const alice = await user(browser, server, DESKTOP, 'alice', 'Alice');
    const bob = await user(browser, server, PHONE, 'bob', 'Bob');
    const convId = (await api(server.base, 'POST', '/conversations', { peer_username: 'bob' }, alice.token)).data.conversation.id;
    await openChat(alice.page, server, convId);
    // bob keeps the app open on the chat list.
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    await callScreen(bob.page).waitFor();
    await eventually(async () => (await status(bob.page).textContent()) === 'Missed call', { message: 'bob sees a missed call' });
    assert.equal(await bob.page.evaluate(() => window.parleyCalls.ringer.kind), null, 'the ring stopped');
    await axe(bob.page, 'a missed call (phone)');
    await callScreen(bob.page).getByRole('button', { name: 'Call back', exact: true }).waitFor();
    await eventually(async () => (await status(alice.page).textContent()) === 'No answer', { message: 'alice sees no answer' });
    await callScreen(alice.page).getByRole('button', { name: 'Close', exact: true }).click();
    await eventually(async () => (await historyLine(alice.page).textContent()) === 'Outgoing voice call · No answer', { message: "alice's history line" });

    await callScreen(bob.page).getByRole('button', { name: 'Close', exact: true }).click();
    await callScreen(bob.page).waitFor({ state: 'detached' });
    const row = bob.page.locator('.chat-row', { hasText: 'Alice' });
    await eventually(async () => (await row.locator('.badge').textContent()) === ', 1 unread message', { message: 'the missed call unread in the list' });
    assert.match(await row.textContent(), /Missed voice call/);
    await row.click();
    await eventually(async () => (await historyLine(bob.page).textContent()) === 'Missed voice call', { message: "bob's history line" });
    assert.ok(await bob.page.locator('.call-line.missed').count(), 'shown as missed');

    assertNoCspViolations(assert);
  });
});
