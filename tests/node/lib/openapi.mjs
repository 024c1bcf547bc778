// docs/openapi.yaml as a checker of live answers: loads the document, finds the operation of a
// route ("GET /api/v1/conversations/{conversation_id}"), and checks an answer against it — the
// status is one the operation declares, every header the response declares required is there
// and matches its schema, the Content-Type is a declared one, the JSON body matches the schema
// of that status, and an error's code is one the response's description lists in backticks.
// A mismatch throws an AssertionError naming the route, the status and the schema error.
//
//   const contract = loadContract();
//   const res = await contract.call(server, 'GET /api/v1/me', { token });
//   contract.check('GET /api/v1/me', res);   // what call() already does

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { T } from './client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const OPENAPI_PATH = path.resolve(here, '../../../docs/openapi.yaml');
export const PROTOCOL_PATH = path.resolve(here, '../../../docs/protocol.md');
export const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const SPEC_ID = 'https://parley.invalid/openapi.json';

/** The document as a plain object; duplicate keys and YAML errors throw. */
export function loadDocument(file = OPENAPI_PATH) {
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('\n')}`);
  return doc.toJS();
}

/** "/api/v1/conversations/{conversation_id}" -> "/api/v1/conversations/{}" (parameter names aside). */
export function normalizeRoute(route) {
  return route.replace(/\{[^}/]*\}/g, '{}');
}

function pointer(...parts) {
  return `#/${parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

/** The backticked error codes in a description that are codes of the ErrorCode enum. */
export function listedCodes(description, allCodes) {
  return [...(description ?? '').matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]).filter((c) => allCodes.includes(c));
}

/** Ajv's errors as one line each: where in the body, what is wrong, and the offending name. */
function schemaErrors(errors) {
  return (errors ?? []).map((e) => {
    const extra = e.params?.additionalProperty ?? e.params?.missingProperty;
    return `body${e.instancePath} ${e.message}${extra !== undefined ? ` (${JSON.stringify(extra)})` : ''}`;
  }).join('; ');
}

function headerGetter(headers) {
  if (typeof headers?.get === 'function') return (name) => headers.get(name);
  return (name) => {
    const v = headers?.[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v ?? null;
  };
}

export class Contract {
  constructor(spec) {
    this.spec = spec;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(spec, SPEC_ID);
    this.validators = new Map();
    this.errorCodes = spec.components.schemas.ErrorCode.enum;
    /** "METHOD /template" of every route called through check(), with the statuses seen. */
    this.seen = new Map();
  }

  /** Every documented route as "METHOD /template". */
  routes() {
    const out = [];
    for (const [p, item] of Object.entries(this.spec.paths)) {
      for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${p}`);
    }
    return out;
  }

  resolve(obj) {
    let o = obj;
    const overrides = {};
    while (o && o.$ref) {
      if (o.description !== undefined && overrides.description === undefined) overrides.description = o.description;
      const parts = o.$ref.replace(/^#\//, '').split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
      o = parts.reduce((acc, k) => acc?.[k], this.spec);
      assert.ok(o, `docs/openapi.yaml: dangling $ref ${JSON.stringify(obj.$ref)}`);
    }
    return { ...o, ...overrides };
  }

  operation(route) {
    const [method, template] = route.split(' ');
    const item = this.spec.paths[template];
    const op = item?.[method.toLowerCase()];
    assert.ok(op, `docs/openapi.yaml has no ${route}`);
    return op;
  }

  validator(ref) {
    let v = this.validators.get(ref);
    if (!v) {
      v = this.ajv.getSchema(`${SPEC_ID}${ref}`);
      assert.ok(v, `cannot compile the schema at ${ref}`);
      this.validators.set(ref, v);
    }
    return v;
  }

  /** Where the response object of `status` lives (for a schema pointer), following $refs. */
  responseRef(route, status) {
    const [method, template] = route.split(' ');
    let raw = this.spec.paths[template][method.toLowerCase()].responses[String(status)];
    let ref = pointer('paths', template, method.toLowerCase(), 'responses', String(status));
    while (raw?.$ref) {
      ref = raw.$ref;
      raw = this.resolve({ $ref: raw.$ref });
    }
    return ref;
  }

  /**
   * Checks one answer {status, headers, body, text} of `route` against the document; throws
   * an AssertionError naming the route, the status and what is wrong.
   */
  check(route, res) {
    const op = this.operation(route);
    const where = `${route} answered ${res.status}`;
    const declared = op.responses?.[String(res.status)];
    assert.ok(declared, `${where}, a status docs/openapi.yaml does not declare for it (declared: ${
      Object.keys(op.responses ?? {}).join(', ')}); body: ${res.text?.slice(0, 300)}`);
    const response = this.resolve(declared);
    const get = headerGetter(res.headers);
    for (const [name, h] of Object.entries(response.headers ?? {})) {
      const header = this.resolve(h);
      const value = get(name);
      if (value === null || value === undefined) {
        assert.ok(!header.required, `${where} without the required header ${name}`);
        continue;
      }
      if (header.schema) {
        const v = this.ajv.compile(header.schema);
        assert.ok(v(value), `${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(v.errors)}`);
      }
    }
    const content = response.content ?? {};
    const types = Object.keys(content);
    if (types.length === 0) {
      assert.ok(!res.text, `${where} with a body, but the document declares none: ${res.text?.slice(0, 200)}`);
    } else {
      const type = get('content-type') ?? '';
      const match = types.find((t) => t === '*/*' || t === type || t === type.split(';')[0].trim());
      assert.ok(match, `${where} with Content-Type ${JSON.stringify(type)}; declared: ${types.join(', ')}`);
      if (match === 'application/json') {
        assert.ok(res.body !== undefined, `${where} with a body that is not JSON: ${res.text?.slice(0, 200)}`);
        const ref = `${this.responseRef(route, res.status)}/content/application~1json/schema`;
        const validate = this.validator(ref);
        assert.ok(validate(res.body), `${where}: the body does not match ${ref}: ${
          schemaErrors(validate.errors)}\nbody: ${JSON.stringify(res.body).slice(0, 600)}`);
        const code = res.body?.error?.code;
        if (code !== undefined) {
          const listed = listedCodes(response.description, this.errorCodes);
          assert.ok(listed.includes(code), `${where} with error code ${code}, which the response's description does not list (${
            listed.join(', ') || 'none'}): ${response.description}`);
        }
      }
    }
    if (!this.seen.has(route)) this.seen.set(route, new Set());
    this.seen.get(route).add(res.status);
    return res;
  }

  /**
   * Makes the request of `route` ("METHOD /template") with `params` filled into the template and
   * checks the answer (check()). `expect` (a status) is asserted after the contract checks.
   * `body` is sent as JSON; `raw` as is (a Buffer or string) with `contentType`.
   */
  async call(server, route, { params = {}, query, token, body, raw, contentType, headers = {}, expect } = {}) {
    const [method, template] = route.split(' ');
    let p = template.replace(/\{([^}]+)\}/g, (_, name) => {
      assert.ok(name in params, `${route}: no value for {${name}}`);
      // A parameter may hold several segments (the web client's {path}): each is encoded.
      return String(params[name]).split('/').map(encodeURIComponent).join('/');
    });
    if (query !== undefined) {
      const q = typeof query === 'string' ? query : new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
      if (q) p += `?${q}`;
    }
    const res = await request(server, method, p, { token, body, raw, contentType, headers });
    this.check(route, res);
    if (expect !== undefined) {
      assert.equal(res.status, expect, `${route} (${method} ${p}) answered ${res.status}, expected ${expect}: ${res.text?.slice(0, 300)}`);
    }
    return res;
  }
}

export function loadContract() {
  return new Contract(loadDocument());
}

/**
 * One HTTP request over node:http (no body rewriting, any header, a fresh connection).
 * Resolves {status, headers, body, text, bytes}; `body` is the parsed JSON or undefined.
 */
export function request(server, method, p, { token, body, raw, contentType, headers = {}, timeoutMs = T(15000) } = {}) {
  const h = { connection: 'close', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    if (contentType) h['content-type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = contentType ?? 'application/json';
  }
  if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
  const url = new URL(server.url + p);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        let parsed;
        try { parsed = text.length > 0 ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed, text, bytes });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to ${method} ${p} within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The WebSocket upgrade as a plain request: resolves {status, headers, body, text}. */
export function upgrade(server, { headers = {} } = {}) {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: '/api/v1/ws', method: 'GET', agent: false,
      headers: {
        connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'), ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: undefined, text: '' });
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
      });
    });
    req.setTimeout(T(15000), () => req.destroy(new Error('no answer to the upgrade')));
    req.on('error', reject);
    req.end();
  });
}

/** The rows of a "<!-- name:begin -->" table of docs/protocol.md: its cells, backticks removed. */
export function protocolTable(name, file = PROTOCOL_PATH) {
  const doc = fs.readFileSync(file, 'utf8');
  const begin = doc.indexOf(`<!-- ${name}:begin -->`);
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  assert.ok(begin >= 0 && end > begin, `docs/protocol.md has no ${name} block`);
  return doc.slice(begin, end).split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').slice(1, -1).map((c) => c.replaceAll('`', '').trim()).map((c) => (c === '—' ? '' : c)));
}
