// End-to-end: Alice records a voice message with Chromium's fake microphone and sends it;
// Bob plays it (the player advances, the speed switches) and Alice sees it played; Alice sends a PDF and Bob
// downloads it under its own name, never displayed in the page.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

let server;
let browser;
let dir;

async function newUser() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC', acceptDownloads: true });
  await context.grantPermissions(['microphone'], { origin: server.base });
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
  // With a fake microphone (a tone) that needs no permission prompt.
  browser = await startBrowser({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'] });
  dir = mkdtempSync(join(tmpdir(), 'parley-e2e-files-'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('documents and voice messages', () => {
  it('a voice message recorded on one side plays on the other; a PDF downloads under its name', async () => {
    const alice = await newUser();
    const bob = await newUser();
    await register(alice.page, 'alice', 'Alice Liddell');
    await register(bob.page, 'bob', 'Bob Builder');
    await alice.page.getByLabel('Start a chat with username').fill('bob');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();

    // Record about a second and a half of the fake microphone's tone, then send.
    await alice.page.getByRole('button', { name: 'Record voice message' }).click();
    await alice.page.getByRole('button', { name: 'Stop and send voice message' }).waitFor();
    await eventually(async () => /0:0[2-9]/.test(await alice.page.locator('.recording-time').textContent()), { message: 'two seconds of recording' });
    await alice.page.getByRole('button', { name: 'Stop and send voice message' }).click();
    const sentVoice = alice.page.locator('.msg.out .voice-bubble[data-media-id]');
    await sentVoice.waitFor();
    await eventually(async () => (await alice.page.locator('.msg.out').last().getAttribute('data-status')) !== 'sending', { message: 'the voice message to be sent' });

    // A PDF, through the file button.
    const pdfName = 'Quarterly report — Q3 (final).pdf';
    const pdfPath = join(dir, 'upload.pdf');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    writeFileSync(pdfPath, pdf);
    const chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: pdfName, mimeType: 'application/pdf', buffer: pdf });
    await alice.page.locator('.msg.out .file-bubble[data-media-id]').waitFor();

    // Bob opens the chat: the voice message with its duration, then plays it.
    const row = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.waitFor();
    await row.click();
    const voice = bob.page.locator('.msg.in .voice-bubble');
    await voice.waitFor();
    const label = await voice.locator('.voice-time').textContent();
    assert.match(label, /^0:0[1-9]$/, `a duration of a few seconds: ${label}`);
    const levels = await voice.locator('.voice-wave .bar').count();
    assert.equal(levels, 64, 'the waveform has 64 bars');
    await voice.getByRole('button', { name: 'Playback speed 1×' }).click();
    await voice.getByRole('button', { name: 'Playback speed 1.5×' }).click();
    await voice.getByRole('button', { name: 'Playback speed 2×' }).waitFor();
    await voice.getByRole('button', { name: 'Play voice message' }).click();
    await eventually(async () => (await voice.getAttribute('data-state')) === 'playing' || (await voice.locator('.bar.played').count()) > 0, { message: 'playback to start' });
    await eventually(async () => (await voice.locator('.bar.played').count()) > 0, { message: 'the progress to advance' });
    assert.equal(await voice.locator('audio').evaluate((a) => a.playbackRate), 2, 'played at 2×');
    // Alice sees that Bob played it.
    await alice.page.locator('.msg.out .voice-bubble .voice-played').waitFor();

    // The PDF: name and size shown; the download keeps the name and the bytes.
    const file = bob.page.locator('.msg.in .file-bubble');
    await file.waitFor();
    assert.equal(await file.locator('.file-name').textContent(), pdfName);
    assert.match(await file.locator('.file-size').textContent(), /^\d+ B$/);
    const downloading = bob.page.waitForEvent('download');
    await file.getByRole('link', { name: `Download ${pdfName}` }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), pdfName);
    const saved = join(dir, 'saved.pdf');
    await download.saveAs(saved);
    assert.ok(readFileSync(saved).equals(pdf), 'the same bytes');
    assert.equal(bob.page.url().startsWith(server.base), true, 'the page stayed where it was');

    // The chat list tells what arrived.
    await eventually(async () => /📄|Voice message/.test(await bob.page.locator('.chat-row .preview-text').first().textContent()), { message: 'the chat list preview' });
    assertNoCspViolations(assert);
  });
});
