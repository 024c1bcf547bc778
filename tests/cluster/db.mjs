// A fresh PostgreSQL database for one cluster test, on the server PARLEY_TEST_STORE names
// (scripts/pg-test-server.sh start DIR prints one).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export function freshDatabase(name) {
  const serverUri = process.env.PARLEY_TEST_STORE;
  assert.ok(serverUri, 'PARLEY_TEST_STORE must name a PostgreSQL server (scripts/pg-test-server.sh start DIR)');
  execFileSync('psql', [serverUri, '-qAtc', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = new URL(serverUri);
  url.pathname = `/${name}`;
  return url.toString();
}
