// End-to-end: Alice sends Bob a photo with a caption; Bob sees the blurred placeholder,
// then the thumbnail, opens the full image in the viewer; the photo's GPS tag never
// reaches his browser. Needs the `vips` and `exiftool` commands (scripts/install-deps.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';
import { jpegMetadataBytes } from '../../tests/node/lib/images.mjs';

let server;
let browser;
let dir;

async function newUser() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
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
  browser = await startBrowser();
  dir = mkdtempSync(join(tmpdir(), 'parley-e2e-photo-'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('photos', () => {
  it('Alice sends Bob a photo; he sees the placeholder, the thumbnail, and the full image', async () => {
    // A 900x600 photo with a GPS position in its EXIF.
    const photo = join(dir, 'beach.jpg');
    execFileSync('vips', ['gaussnoise', join(dir, 'n.v'), '900', '600', '--mean', '128', '--sigma', '50']);
    execFileSync('vips', ['cast', join(dir, 'n.v'), join(dir, 'g.v'), 'uchar']);
    execFileSync('vips', ['bandjoin', `${join(dir, 'g.v')} ${join(dir, 'g.v')} ${join(dir, 'g.v')}`, photo]);
    execFileSync('exiftool', ['-q', '-n', '-overwrite_original', '-GPSLatitude=51.5007', '-GPSLatitudeRef=N', '-GPSLongitude=0.1246', '-GPSLongitudeRef=W', photo]);

    const alice = await newUser();
    const bob = await newUser();
    await register(alice.page, 'alice', 'Alice Liddell');
    await register(bob.page, 'bob', 'Bob Builder');

    await alice.page.getByLabel('Start a chat with username').fill('bob');
    await alice.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await alice.page.locator('#chat-title').waitFor();

    // The draft becomes the caption; the file goes through the attach button's picker.
    await alice.page.getByLabel(/^Message /).fill('The beach today');
    const chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach photo' }).click();
    await (await chooser).setFiles(photo);
    const sent = alice.page.locator('.msg.out .photo[data-media-id]');
    await sent.waitFor();
    await eventually(async () => (await alice.page.locator('.msg.out').last().getAttribute('data-status')) !== 'sending', { message: 'the photo to be sent' });

    // Bob: the chat list says "Photo", the chat shows it with its caption.
    const row = bob.page.locator('.chat-row', { hasText: 'Alice Liddell' });
    await row.waitFor();
    assert.match(await row.locator('.preview-text').textContent(), /Photo: The beach today/);
    const fetched = [];
    bob.page.on('response', async (res) => {
      if (res.url().includes('/media/')) fetched.push({ url: res.url(), status: res.status(), body: await res.body().catch(() => Buffer.alloc(0)) });
    });
    await row.click();
    const bubble = bob.page.locator('.msg.in', { hasText: 'The beach today' });
    await bubble.waitFor();
    const photoEl = bubble.locator('.photo');
    // The placeholder is inline in the message: it is there at once.
    assert.match(await photoEl.locator('.photo-placeholder').getAttribute('src'), /^data:image\/jpeg;base64,/);
    // The box has the photo's aspect ratio (900x600 fitted into 280x320).
    const box = await photoEl.boundingBox();
    assert.ok(Math.abs(box.width / box.height - 1.5) < 0.02, `aspect ${box.width}x${box.height}`);
    // Then the thumbnail, through a signed link, decoded by the browser.
    await eventually(async () => (await photoEl.getAttribute('data-state')) === 'thumbnail', { message: 'the thumbnail to load' });
    const natural = await photoEl.locator('.photo-thumb').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(natural, [320, 213]);
    await bob.page.screenshot({ path: join(ARTIFACTS, 'photo-chat.png') });

    // Tap: the viewer shows the full image.
    await photoEl.click();
    const full = bob.page.locator('.photo-viewer .viewer-full');
    await full.waitFor();
    await eventually(async () => (await full.evaluate((img) => img.complete && img.naturalWidth)) === 900, { message: 'the full image to load' });
    assert.equal(await bob.page.locator('.photo-viewer .viewer-caption').textContent(), 'The beach today');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'photo-viewer.png') });
    await bob.page.keyboard.press('Escape');
    await full.waitFor({ state: 'detached' });

    // Nothing Bob's browser received carries the GPS position.
    assert.ok(fetched.length >= 2, `fetched ${fetched.map((f) => f.url)}`);
    for (const f of fetched) {
      assert.equal(f.status, 200, f.url);
      const metadata = jpegMetadataBytes(f.body);
      assert.equal(metadata.indexOf('GPS'), -1, `${f.url} carries GPS`);
      assert.equal(metadata.indexOf('Exif'), -1, `${f.url} carries EXIF`);
    }
    // Issue #18, defect 2: Alice goes offline and reloads (the app comes from the service
    // worker, the photo only as its placeholder); back online, the thumbnail loads without
    // another reload.
    const mine = alice.page.locator('.msg.out .photo[data-media-id]');
    await eventually(async () => (await mine.getAttribute('data-state')) === 'thumbnail', { message: 'her thumbnail' });
    await eventually(() => alice.page.evaluate(() => !!navigator.serviceWorker?.controller), { message: 'service worker control' });
    await alice.context.setOffline(true);
    await alice.page.reload();
    await mine.waitFor();
    await alice.page.waitForTimeout(500);
    assert.equal(await mine.getAttribute('data-state'), 'placeholder', 'offline: only the placeholder');
    await alice.context.setOffline(false);
    await eventually(async () => (await mine.getAttribute('data-state')) === 'thumbnail', { message: 'the thumbnail once back online', timeout: 20_000 });

    await alice.context.close();
    await bob.context.close();
  });

  it('a photo whose upload the network cuts off is sent again and arrives', async () => {
    const photo = join(dir, 'flaky.png');
    execFileSync('vips', ['black', photo, '200', '150']);
    const carol = await newUser();
    const dave = await newUser();
    await register(carol.page, 'carol', 'Carol');
    await register(dave.page, 'dave', 'Dave');
    await carol.page.getByLabel('Start a chat with username').fill('dave');
    await carol.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await carol.page.locator('#chat-title').waitFor();

    // The first upload request dies on the network (as on a train going into a tunnel);
    // the ones after it go through.
    let attempts = 0;
    await carol.page.route(/\/api\/v1\/media(\?.*)?$/, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      attempts += 1;
      if (attempts === 1) return route.abort('connectionreset');
      return route.continue();
    });
    await carol.page.getByLabel(/^Message /).fill('through the tunnel');
    const chooser = carol.page.waitForEvent('filechooser');
    await carol.page.getByRole('button', { name: 'Attach photo' }).click();
    await (await chooser).setFiles(photo);
    await carol.page.locator('.msg.out .photo[data-media-id]').waitFor({ timeout: 30_000 });
    await eventually(async () => (await carol.page.locator('.msg.out').last().getAttribute('data-status')) !== 'sending', { message: 'the photo to be sent', timeout: 30_000 });
    assert.equal(attempts, 2, 'one upload cut off, one more that went through');

    const row = dave.page.locator('.chat-row', { hasText: 'Carol' });
    await row.waitFor();
    await row.click();
    await dave.page.locator('.msg.in', { hasText: 'through the tunnel' }).locator('.photo').waitFor();
    await carol.context.close();
    await dave.context.close();
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
