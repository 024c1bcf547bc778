// End-to-end: group chats with three browser contexts (alice, bob, carol) against the real parleyd.
// Run with `npm run e2e` (builds first) or `npm run e2e:nobuild`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, api, eventually, startBrowser, startServer, assertNoCspViolations } from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const GROUP = 'Climbing club';

let server;
let browser;
let alice;
let bob;
let carol;
let groupId;

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

async function sendText(page, text) {
  await page.getByRole('textbox', { name: /^Message / }).fill(text);
  await page.keyboard.press('Enter');
}

async function recordStatuses(page) {
  await page.evaluate(() => {
    const seen = (window.__statuses = {});
    const scan = () => {
      for (const el of document.querySelectorAll('.messages .msg.out')) {
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

const statusOf = (page, text) => page.locator('.messages .msg.out', { hasText: text }).last().getAttribute('data-status');

async function waitStatus(page, text, status, timeout = 15_000) {
  await eventually(async () => (await statusOf(page, text)) === status, { timeout, message: `"${text}" to be ${status}` });
}

const systemLines = (page) => page.locator('.messages .msg.system .system-text').allTextContents();

async function waitSystemLine(page, text, timeout = 15_000) {
  await eventually(async () => (await systemLines(page)).includes(text), { timeout, message: `system line "${text}"` });
}

/** The sender name shown above an incoming bubble with this text. */
async function senderAbove(page, text) {
  const bubble = page.locator('.messages .msg.in', { hasText: text }).last();
  await bubble.waitFor();
  // A run of messages from one sender shows the name once, on the first bubble.
  return bubble.evaluate((el) => {
    let cur = el;
    while (cur) {
      if (cur.classList?.contains('msg') && cur.querySelector('.sender')) return cur.querySelector('.sender').textContent;
      cur = cur.previousElementSibling;
      if (cur && (!cur.classList.contains('msg') || cur.classList.contains('out') || cur.classList.contains('system'))) return null;
    }
    return null;
  });
}

const token = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

describe('Parley group chats', () => {
  it('alice creates a group with bob and carol; all three see it with the "created" line', async () => {
    alice = await newUser();
    bob = await newUser();
    carol = await newUser();
    await register(alice.page, 'alice', 'Alice', 'pw-alice-123');
    await register(bob.page, 'bob', 'Bob', 'pw-bob-1234');
    await register(carol.page, 'carol', 'Carol', 'pw-carol-123');

    const { page } = alice;
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.waitFor();
    await dialog.getByLabel('Group name').fill(GROUP);
    await dialog.getByLabel(/^Description/).fill('Saturdays at the wall');
    // An unknown username is refused before anything is created.
    await dialog.getByLabel('Add members by username').fill('nobody_here');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: 'No user named' }).waitFor();
    // Entered back to back: the second lookup starts before the first returns, and both must stay.
    for (const u of ['bob', 'carol']) {
      await dialog.getByLabel('Add members by username').fill(u);
      await page.keyboard.press('Enter');
    }
    await dialog.getByRole('button', { name: 'Remove Bob' }).waitFor();
    await dialog.getByRole('button', { name: 'Remove Carol' }).waitFor();
    await dialog.getByRole('button', { name: 'Create group' }).click();

    await eventually(async () => (await page.locator('#chat-title').textContent()) === GROUP, { message: 'the new group to open' });
    groupId = Number(/\/c\/(\d+)/.exec(page.url())[1]);
    assert.ok(groupId > 0);
    await eventually(async () => (await page.locator('#chat-sub').textContent()) === '3 members', { message: '"3 members"' });
    await waitSystemLine(page, `You created the group "${GROUP}"`);

    for (const other of [bob, carol]) {
      const row = other.page.locator('.chat-row', { hasText: GROUP });
      await row.waitFor();
      assert.equal(await row.getAttribute('data-kind'), 'group');
      await eventually(async () => (await row.locator('.preview-text').textContent()) === `Alice created the group "${GROUP}"`, {
        message: 'created preview',
      });
      assert.equal((await row.locator('.avatar').textContent()).trim(), 'CC');
    }
    const aliceRow = page.locator('.chat-row', { hasText: GROUP });
    assert.equal(await aliceRow.locator('.preview-text').textContent(), `You created the group "${GROUP}"`);
  });

  it('ticks on alice\'s message turn blue only after both bob and carol opened the group', async () => {
    const { page } = alice;
    await recordStatuses(page);
    await sendText(page, 'Hello climbers');
    // Both have the app open, so it reaches both devices: two grey ticks.
    await waitStatus(page, 'Hello climbers', 'delivered');

    for (const other of [bob, carol]) {
      await eventually(
        async () => (await other.page.locator('.chat-row', { hasText: GROUP }).locator('.preview-text').textContent()) === 'Alice: Hello climbers',
        { message: 'group preview "Alice: ..."' },
      );
    }

    await bob.page.locator('.chat-row', { hasText: GROUP }).click();
    await bob.page.locator('.msg.in', { hasText: 'Hello climbers' }).waitFor();
    await waitSystemLine(bob.page, `Alice created the group "${GROUP}"`);
    assert.equal(await bob.page.locator('#chat-sub').textContent(), '3 members');
    assert.equal(await senderAbove(bob.page, 'Hello climbers'), 'Alice');
    // Bob read it, Carol did not: still grey (the receipts frame comes after 250 ms).
    await page.waitForTimeout(1200);
    assert.equal(await statusOf(page, 'Hello climbers'), 'delivered');

    await carol.page.locator('.chat-row', { hasText: GROUP }).click();
    await carol.page.locator('.msg.in', { hasText: 'Hello climbers' }).waitFor();
    await waitStatus(page, 'Hello climbers', 'read');
    assert.equal(await page.locator('.msg.out', { hasText: 'Hello climbers' }).locator('.tick-read').count(), 1);
    const seq = await page.evaluate(() => window.__statuses['Hello climbers']);
    assert.deepEqual(seq.slice(-2), ['delivered', 'read']);
    assert.ok(!seq.slice(0, -1).includes('read'));
  });

  it('messages from each member reach the others with sender names', async () => {
    await sendText(bob.page, 'Bob here, count me in');
    await sendText(carol.page, 'Carol too!');
    assert.equal(await senderAbove(alice.page, 'Bob here, count me in'), 'Bob');
    assert.equal(await senderAbove(alice.page, 'Carol too!'), 'Carol');
    assert.equal(await senderAbove(bob.page, 'Carol too!'), 'Carol');
    assert.equal(await senderAbove(carol.page, 'Bob here, count me in'), 'Bob');
    assert.equal(await senderAbove(carol.page, 'Hello climbers'), 'Alice');
    // Different senders get different name colours.
    const colours = await alice.page.locator('.messages .msg.in .sender').evaluateAll((els) => els.map((e) => getComputedStyle(e).color));
    assert.equal(colours.length, 2);
    assert.notEqual(colours[0], colours[1]);
    // Everyone has the group open: bob's message becomes read by alice and carol.
    await waitStatus(bob.page, 'Bob here, count me in', 'read');
    const row = alice.page.locator('.chat-row', { hasText: GROUP });
    await eventually(async () => (await row.locator('.preview-text').textContent()) === 'Carol: Carol too!', { message: 'preview of Carol' });
  });

  it('message info shows who read alice\'s message, with times', async () => {
    const { page } = alice;
    const bubble = page.locator('.messages .msg.out', { hasText: 'Hello climbers' });
    await bubble.hover();
    await bubble.getByRole('button', { name: 'Message info' }).click();
    const panel = page.getByRole('complementary', { name: 'Message info' });
    await panel.waitFor();
    const readBy = panel.locator('[data-receipts="read"] .person');
    await eventually(async () => (await readBy.count()) === 2, { message: 'read by two' });
    assert.deepEqual((await readBy.locator('.person-name').allTextContents()).sort(), ['Bob', 'Carol']);
    assert.equal(await readBy.locator('time').count(), 2);
    await page.keyboard.press('Escape');
    await eventually(async () => (await panel.count()) === 0, { message: 'message info closed' });
  });

  it('reload keeps the group, its names and lines from the local database, even offline', async () => {
    const { page, context } = alice;
    await eventually(() => page.evaluate(() => !!navigator.serviceWorker?.controller), { message: 'service worker control' });
    await context.setOffline(true);
    try {
      await page.reload();
      await page.locator('#chat-title', { hasText: GROUP }).waitFor();
      assert.equal(await senderAbove(page, 'Bob here, count me in'), 'Bob');
      await waitSystemLine(page, `You created the group "${GROUP}"`);
      assert.equal(await statusOf(page, 'Hello climbers'), 'read');
      assert.equal(await page.locator('#chat-sub').textContent(), '3 members');
    } finally {
      await context.setOffline(false);
    }
    await eventually(async () => (await page.locator('.banner-offline').count()) === 0, { message: 'back online' });
  });

  it('group info lists members and roles; screenshots at desktop and phone widths', async () => {
    const { page } = alice;
    await page.locator('.messages .msg.in', { hasText: 'Carol too!' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-group-chat.png') });
    await page.getByRole('button', { name: 'Group info' }).click();
    const panel = page.getByRole('complementary', { name: 'Group info' });
    await panel.waitFor();
    assert.equal(await panel.locator('.group-name').textContent(), GROUP);
    assert.equal(await panel.locator('.group-description').textContent(), 'Saturdays at the wall');
    const people = panel.locator('.people .person');
    await eventually(async () => (await people.count()) === 3, { message: 'three members' });
    assert.deepEqual(await panel.locator('.person-name').allTextContents(), ['You', 'Bob', 'Carol']);
    assert.equal(await panel.locator('.person[data-user="alice"] .role-badge').textContent(), 'Group admin');
    assert.equal(await panel.locator('.person[data-user="bob"] .role-badge').count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-group-info.png') });

    // Bob sees no admin actions.
    await bob.page.getByRole('button', { name: 'Group info' }).click();
    const bobPanel = bob.page.getByRole('complementary', { name: 'Group info' });
    await bobPanel.locator('.person').nth(2).waitFor();
    assert.equal(await bobPanel.getByRole('button', { name: /^Remove / }).count(), 0);
    assert.equal(await bobPanel.getByRole('button', { name: 'Add members' }).count(), 0);
    await bobPanel.getByRole('button', { name: 'Leave group' }).waitFor();
    await bob.page.getByRole('button', { name: 'Close group info' }).click();

    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB', timezoneId: 'UTC' });
    try {
      const p = await phone.newPage();
      await p.goto(server.base + '/');
      await p.getByRole('tab', { name: 'Log in' }).click();
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('pw-alice-123');
      await p.getByRole('button', { name: 'Log in' }).last().click();
      await p.locator('.chat-row', { hasText: GROUP }).click();
      await p.locator('.messages .msg.in', { hasText: 'Carol too!' }).waitFor();
      await eventually(async () => (await senderAbove(p, 'Carol too!')) === 'Carol', { message: 'names on the phone' });
      assert.equal(await p.locator('.sidebar').isVisible(), false);
      await p.screenshot({ path: join(ARTIFACTS, 'phone-group-chat.png') });
      await p.getByRole('button', { name: 'Group info' }).click();
      const pp = p.getByRole('complementary', { name: 'Group info' });
      await pp.locator('.person').nth(2).waitFor();
      const box = await pp.boundingBox();
      assert.ok(box && box.width >= PHONE.width - 1, 'the panel fills the phone screen');
      await p.screenshot({ path: join(ARTIFACTS, 'phone-group-info.png') });
      await p.getByRole('button', { name: 'Close group info' }).click();
      await pp.waitFor({ state: 'detached' });
    } finally {
      await phone.close();
    }
  });

  it('admin actions: rename, describe, make and dismiss admin', async () => {
    const { page } = alice;
    const panel = page.getByRole('complementary', { name: 'Group info' });
    const renamed = `${GROUP} 2026`;
    await panel.getByRole('button', { name: 'Edit group name' }).click();
    await panel.getByLabel('Group name').fill(renamed);
    await panel.getByRole('button', { name: 'Save' }).click();
    await waitSystemLine(page, `You changed the group name to "${renamed}"`);
    await waitSystemLine(carol.page, `Alice changed the group name to "${renamed}"`);
    await eventually(async () => (await bob.page.locator('#chat-title').textContent()) === renamed, { message: 'new name in bob\'s header' });
    await bob.page.locator('.chat-row .row-name', { hasText: renamed }).waitFor();
    assert.equal(await panel.locator('.group-name').textContent(), renamed);
    await panel.getByRole('button', { name: 'Edit group description' }).click();
    await panel.getByLabel('Group description').fill('Saturdays and Sundays');
    await panel.getByRole('button', { name: 'Save' }).click();
    await waitSystemLine(page, 'You changed the group description');
    await waitSystemLine(bob.page, 'Alice changed the group description');
    await eventually(async () => (await panel.locator('.group-description').textContent()) === 'Saturdays and Sundays', { message: 'new description' });

    await panel.getByRole('button', { name: 'Make admin: Bob' }).click();
    await waitSystemLine(bob.page, 'Alice made you an admin');
    await waitSystemLine(carol.page, 'Alice made Bob an admin');
    await panel.locator('.person[data-user="bob"] .role-badge').waitFor();
    await panel.getByRole('button', { name: 'Dismiss as admin: Bob' }).click();
    await waitSystemLine(carol.page, 'Bob is no longer an admin');
    await waitSystemLine(bob.page, "You're no longer an admin");
    await eventually(async () => (await panel.locator('.person[data-user="bob"] .role-badge').count()) === 0, { message: 'badge gone' });
  });

  it('alice removes carol: carol sees "Alice removed you", a closed composer, and no later messages', async () => {
    const { page } = alice;
    const panel = page.getByRole('complementary', { name: 'Group info' });
    await panel.getByRole('button', { name: 'Remove Carol' }).click();
    const confirm = page.getByRole('dialog', { name: /Remove Carol/ });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await waitSystemLine(page, 'You removed Carol');
    await eventually(async () => (await panel.locator('.person').count()) === 2, { message: 'two members left' });
    await eventually(async () => (await page.locator('#chat-sub').textContent()) === '2 members', { message: '"2 members"' });

    await waitSystemLine(carol.page, 'Alice removed you');
    await waitSystemLine(bob.page, 'Alice removed Carol');
    await carol.page.getByText("You can't send messages to this group because you're no longer a member.").waitFor();
    assert.equal(await carol.page.locator('#composer-input').count(), 0);

    await sendText(page, 'Only for Bob now');
    await bob.page.locator('.msg.in', { hasText: 'Only for Bob now' }).waitFor();
    await waitStatus(page, 'Only for Bob now', 'read');
    await carol.page.waitForTimeout(1000);
    assert.equal(await carol.page.locator('.msg', { hasText: 'Only for Bob now' }).count(), 0);
    // Carol's list keeps the group, frozen at her removal.
    const row = carol.page.locator('.chat-row', { hasText: GROUP });
    assert.equal(await row.locator('.preview-text').textContent(), 'Alice removed you');
    // Still readable after a reload.
    await carol.page.reload();
    await carol.page.locator('.msg.in', { hasText: 'Bob here, count me in' }).waitFor();
    await carol.page.getByText("You can't send messages to this group because you're no longer a member.").waitFor();
    assert.equal(await carol.page.locator('.msg', { hasText: 'Only for Bob now' }).count(), 0);
    // And the server agrees.
    const r = await api(server.base, 'GET', `/conversations/${groupId}/messages?limit=50`, undefined, await token(carol.page));
    assert.equal(r.status, 200);
    assert.equal(r.data.messages.filter((m) => m.text === 'Only for Bob now').length, 0);
  });

  it('bob leaves (with confirmation): alice sees "Bob left"', async () => {
    const { page } = bob;
    await page.getByRole('button', { name: 'Group info' }).click();
    const panel = page.getByRole('complementary', { name: 'Group info' });
    await panel.getByRole('button', { name: 'Leave group' }).click();
    const confirm = page.getByRole('dialog', { name: /Leave/ });
    // Cancel first: nothing happens.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.locator('#composer-input').count(), 1);
    await panel.getByRole('button', { name: 'Leave group' }).click();
    await page.getByRole('dialog', { name: /Leave/ }).getByRole('button', { name: 'Leave', exact: true }).click();
    await waitSystemLine(page, 'You left');
    await page.getByText("You can't send messages to this group because you're no longer a member.").waitFor();
    await panel.getByText("You're no longer a member of this group.").waitFor();

    await waitSystemLine(alice.page, 'Bob left');
    const row = alice.page.locator('.chat-row', { hasText: GROUP });
    await eventually(async () => (await row.locator('.preview-text').textContent()) === 'Bob left', { message: 'preview "Bob left"' });
    await eventually(async () => (await alice.page.locator('#chat-sub').textContent()) === '1 member', { message: '"1 member"' });
  });

  it('ran all of the above without a Content-Security-Policy violation', () => {
    assertNoCspViolations(assert);
  });
});
