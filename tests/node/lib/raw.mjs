// Raw HTTP over a TCP socket: the request bytes go out exactly as written (no URL
// normalisation, no header checks), for tests of hostile requests.

import net from 'node:net';
import { T } from './client.mjs';

/**
 * Sends `head` as is and resolves with {status, headers, body, raw} once the server closes
 * the connection; status is 0 when no HTTP answer came. Rejects after timeoutMs.
 * `localAddress`: the source address to connect from (any of 127.0.0.0/8 on loopback).
 */
export function rawRequest(server, head, { timeoutMs = T(10000), localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress });
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer to ${JSON.stringify(head.slice(0, 200))}`)); }, timeoutMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (c) => chunks.push(c));
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      const headers = {};
      for (const line of text.slice(0, split < 0 ? text.length : split).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body: split < 0 ? '' : text.slice(split + 4), raw: text });
    };
    // A reset after the answer still leaves the answer in `chunks`.
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => {});
  });
}


/** A GET request line and headers that ask the server to close after answering. */
export function rawGet(target, extraHeaders = '') {
  return `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extraHeaders}\r\n`;
}
