// What the server refuses in user-chosen values: weak passwords (the common-password list,
// all-whitespace, the username itself) and invisible or direction-changing characters in
// names and descriptions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { api, assertError, assertStatus, register } from './lib/client.mjs';

test('weak passwords are refused with weak_password; a strong one registers', async (t) => {
  const server = await startServer(t);
  const attempt = (username, password) => api(server, 'POST', '/api/v1/register', { body: { username, display_name: 'Someone', password } });
  for (const password of ['password', '12345678', 'PassWord1', 'qwertyuiop', '11111111', 'iloveyou', '        ', '\t \t \t \t ', 'abc12345']) {
    assertError(await attempt('victim', password), 400, 'weak_password', JSON.stringify(password));
  }
  assertError(await attempt('gatekeeper', 'GateKeeper'), 400, 'weak_password', 'the username as password');
  assertError(await attempt('gatekeeper', 'gatekeeper'), 400, 'weak_password', 'the username as password');
  assertError(await attempt('shorty', 'abc'), 400, 'invalid_argument', 'too short is still invalid_argument');
  assertStatus(await attempt('victim', 'correct horse battery staple'), 201, 'a passphrase');
  await register(server, 'alice');  // the suite's own passwords are fine
});

test('names and descriptions with direction overrides, invisible or control characters are refused', async (t) => {
  const server = await startServer(t);
  const attempt = (display_name) => api(server, 'POST', '/api/v1/register', { body: { username: 'spoofer', display_name, password: 'long enough pw' } });
  for (const name of ['Bob\u202Egnp.exe', 'Bo\u200Bb', '\u2066Admin\u2069', 'Ad\u200Emin', '\uFEFFBob', 'Bob\u2060', 'Bob\u0085', 'Bob\u061C', 'ad\u200Dmin', '\u200C']) {
    assertError(await attempt(name), 400, 'invalid_argument', JSON.stringify(name));
  }
  // Joiners inside emoji sequences and scripts that need them are kept.
  const family = await attempt('Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}');
  assertStatus(family, 201, 'emoji ZWJ sequence');
  const persian = await register(server, 'persian', { display_name: '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645' });
  assert.equal(persian.user.display_name, '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645');

  const alice = await register(server, 'alice');
  const group = (body) => api(server, 'POST', '/api/v1/groups', { token: alice.token, body });
  assertError(await group({ name: 'Team\u202E' }), 400, 'invalid_argument', 'bidi in a group name');
  assertError(await group({ name: 'Team\u200B' }), 400, 'invalid_argument', 'zero-width in a group name');
  assertError(await group({ name: 'Team', description: 'ring\u0007bell' }), 400, 'invalid_argument', 'BEL in a description');
  assertError(await group({ name: 'Team', description: 'tab\tin\u009Bdescription' }), 400, 'invalid_argument', 'C1 in a description');
  assertError(await group({ name: 'Team', description: 'evil \u2067override' }), 400, 'invalid_argument', 'isolate in a description');
  const ok = await group({ name: 'Team', description: 'Line one\nLine two' });
  assertStatus(ok, 201, 'a newline in a description is fine');
  const gid = ok.body.conversation.id;
  assertError(await api(server, 'PATCH', `/api/v1/conversations/${gid}`, { token: alice.token, body: { name: '\u202Dx' } }), 400, 'invalid_argument', 'rename with an override');
  const bob = await register(server, 'bobby');
  assertError(await api(server, 'PUT', `/api/v1/contacts/${bob.user.id}`, { token: alice.token, body: { nickname: 'B\u200Bob' } }), 400, 'invalid_argument', 'zero-width in a nickname');
});
