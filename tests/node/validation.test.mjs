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
