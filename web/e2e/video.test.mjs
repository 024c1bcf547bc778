// End-to-end: Alice (desktop) sends an MP4 made with ffmpeg; Bob (a 375 px phone) sees its
// poster with the duration and a play button, plays it inline (the time advances) and
// seeks (the browser fetches byte ranges: 206). The chat list says a video arrived.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

let server;
let browser;
let dir;

async function newUser(viewport) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return { context, page };
}

async function register(page, username, displayName) {
  await page.goto(server.base + '/');
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Your name').fill(displayName);
  await page.getByLabel('Password').fill(`pw-${username}-123`);
  await page.getByRole('button', { name: 'Create account' }).last().click();
  await page.getByRole('button', { name: 'Main menu' }).waitFor();
}

before(async () => {
  server = await startServer();
  browser = await startBrowser({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  dir = mkdtempSync(join(tmpdir(), 'parley-e2e-video-'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('videos', () => {
  it('an MP4 sent from a desktop plays inline on a phone, with its poster and duration, and seeks', async () => {
    const clip = join(dir, 'holiday.mp4');
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=3',
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-metadata', 'location=+48.8584+002.2945/', clip]);

    const alice = await newUser({ width: 1280, height: 800 });
    const bob = await newUser({ width: 375, height: 740 });
    await register(alice.page, 'alice', 'Alice Liddell');
    await register(bob.page, 'bob', 'Bob Builder');
    await alice.page.getByLabel('Start a chat with username').fill('bob');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();

    // Through the photo-or-video button, with a caption.
    await alice.page.locator('#composer-input').fill('the tower');
    const chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach photo or video' }).click();
    await (await chooser).setFiles({ name: 'holiday.mp4', mimeType: 'video/mp4', buffer: readFileSync(clip) });
    const sent = alice.page.locator('.msg.out .video-bubble[data-media-id]');
    await sent.waitFor({ timeout: 30_000 });
    await eventually(async () => (await alice.page.locator('.msg.out').last().getAttribute('data-status')) !== 'sending', { message: 'the video to be sent' });

    // Bob, on a phone: the chat list says a video came, the bubble shows poster and duration.
    const row = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.waitFor();
    await eventually(async () => /Video \(0:03\)/.test(await row.textContent()), { message: 'the chat list preview' });
    await row.click();
    const video = bob.page.locator('.msg.in .video-bubble');
    await video.waitFor();
    assert.equal(await video.locator('.video-duration').textContent(), '0:03');
    await bob.page.locator('.msg.in', { hasText: 'the tower' }).waitFor();
    await eventually(async () => (await video.locator('img.photo-thumb.loaded').count()) === 1, { message: 'the poster to load' });
    const box = await video.boundingBox();
    assert.ok(box.width <= 375 - 40 && box.width > 100, `fits the phone: ${box.width}`);
    assert.ok(Math.abs(box.width / box.height - 160 / 120) < 0.05, 'the video\'s own shape');

    const ranges = [];
    bob.page.on('response', (r) => {
      if (r.url().includes('/full') && r.status() === 206) ranges.push(r.headers()['content-range']);
    });
    await video.getByRole('button', { name: /Video, 0:03: the tower\. Play/ }).click();
    const player = video.locator('video');
    await player.waitFor();
    await eventually(async () => (await player.evaluate((v) => v.currentTime)) > 0.2, { timeout: 20_000, message: 'playback to advance' });
    // Seek back near the start, then ahead: the player lands where asked.
    await player.evaluate((v) => {
      v.pause();
      v.currentTime = 2.5;
    });
    await eventually(async () => player.evaluate((v) => !v.seeking && Math.abs(v.currentTime - 2.5) < 0.3), { message: 'the seek to land' });
    assert.ok(ranges.length > 0, 'the browser fetched ranges (206)');
    assert.equal(await player.evaluate((v) => v.videoWidth), 160);

    // Alice's own copy plays on the desktop too.
    await sent.getByRole('button', { name: /Play/ }).click();
    await eventually(async () => (await sent.locator('video').evaluate((v) => v.currentTime)) > 0.2, { timeout: 20_000, message: 'alice\'s playback' });
    assertNoCspViolations(assert);
  });

  it('the chat\'s media, links and docs: tabs with the video, a document and a link; a click shows the message', async () => {
    const alice = await newUser({ width: 1280, height: 800 });
    const bob = await newUser({ width: 375, height: 740 });
    await register(alice.page, 'carol', 'Carol Ann');
    await register(bob.page, 'dave', 'Dave Bowman');
    await alice.page.getByLabel('Start a chat with username').fill('dave');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();
    const clip = join(dir, 'short.mp4');
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=10:duration=1',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    let chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach photo or video' }).click();
    await (await chooser).setFiles({ name: 'short.mp4', mimeType: 'video/mp4', buffer: readFileSync(clip) });
    await alice.page.locator('.msg.out .video-bubble[data-media-id]').waitFor({ timeout: 30_000 });
    chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: 'minutes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await alice.page.locator('.msg.out .file-bubble[data-media-id]').waitFor();
    await alice.page.locator('#composer-input').fill('the agenda is at https://example.org/agenda');
    await alice.page.keyboard.press('Enter');
    for (let i = 0; i < 12; i++) {
      await alice.page.locator('#composer-input').fill(`filler ${i}`);
      await alice.page.keyboard.press('Enter');
    }
    await eventually(async () => (await alice.page.locator('.msg.out').last().getAttribute('data-status')) !== 'sending', { message: 'all sent' });

    // Dave, on a phone: contact info, then media, links and docs.
    await bob.page.locator('.chat-row', { hasText: 'Carol Ann' }).click();
    await bob.page.getByRole('button', { name: 'Contact info' }).click();
    const pane = bob.page.locator('#side-panel');
    await pane.getByRole('button', { name: 'Media, links and docs' }).click();
    await pane.getByRole('heading', { name: 'Media, links and docs' }).waitFor();
    await eventually(async () => (await pane.locator('.media-tile').count()) === 1, { message: 'the video in the media grid' });
    assert.match(await pane.locator('.media-tile').getAttribute('aria-label'), /^Video, 0:01/);
    await pane.getByRole('tab', { name: 'Docs' }).click();
    await eventually(async () => /minutes\.pdf/.test(await pane.locator('.media-list').textContent()), { message: 'the document' });
    await pane.getByRole('tab', { name: 'Voice' }).click();
    await pane.getByText('No voice messages yet.').waitFor();
    await pane.getByRole('tab', { name: 'Links' }).click();
    const link = pane.locator('.media-row', { hasText: 'https://example.org/agenda' });
    await link.waitFor();
    const seq = Number(await link.getAttribute('data-seq'));
    await link.click();
    // On a phone the pane closes and the chat shows the message, highlighted.
    await eventually(async () => (await bob.page.locator('#side-panel').count()) === 0, { message: 'the pane to close' });
    const target = bob.page.locator('.msg.highlighted', { hasText: 'the agenda is at' });
    await target.waitFor();
    assert.ok(seq > 0);
    await bob.page.getByRole('button', { name: 'Contact info' }).click();
    await pane.getByRole('button', { name: 'Media, links and docs' }).click();
    await pane.locator('.media-tile').first().click();
    await bob.page.locator('.msg.highlighted .video-bubble').waitFor();
    assertNoCspViolations(assert);
  });
});
