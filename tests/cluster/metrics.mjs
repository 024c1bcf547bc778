// One unlabelled value (a gauge or counter) of a node's /metrics; undefined when the node
// does not report it.
import assert from 'node:assert/strict';

export async function metric(server, name) {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200, 'metrics');
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}
