import { ApiError } from '../core/types';

export const API = '/api/v1';

/** JSON over HTTP as protocol.md describes; failures become ApiError with the stable code. */
export async function http<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('network', 'The server cannot be reached. Check your connection.');
  }
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = data?.error;
    const retry = Number(res.headers.get('Retry-After'));
    throw new ApiError(
      err?.code ?? (res.status >= 500 ? 'unavailable' : 'bad_request'),
      err?.message ?? `HTTP ${res.status}`,
      res.status,
      Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined,
    );
  }
  return data as T;
}

/**
 * Uploads a file as the raw request body (POST API + path), reporting progress. Resolves
 * with the JSON answer; failures become ApiError like http(). An upload refused for now
 * (429 `rate_limited`: too many of this user's uploads in progress or per minute; 503: the
 * processing queue is full) is sent again after the server's Retry-After, and one cut off
 * by the network (a flaky connection, a server restart) after a growing delay, at most
 * `UPLOAD_ATTEMPTS` times in all, so a user who drops ten photos at once on a bad
 * connection sees them all go. Sending the bytes again is harmless: an upload is not a
 * message (nothing is shown until the message that uses it is sent), identical bytes share
 * storage on the server, and an upload no message uses is collected.
 */
export async function uploadFile<T>(path: string, file: Blob, token: string, onProgress: (loaded: number, total: number) => void, contentType = 'application/octet-stream'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await uploadOnce<T>(path, file, token, onProgress, contentType);
    } catch (e) {
      if (!(e instanceof ApiError) || !uploadRetryable(e) || attempt >= UPLOAD_ATTEMPTS) throw e;
      onProgress(0, file.size);
      await new Promise((resolve) => setTimeout(resolve, uploadRetryDelayMs(e, attempt)));
    }
  }
}

export const UPLOAD_ATTEMPTS = 8;

/** Whether a failed upload is worth sending again unchanged: refused for now, or cut off. */
export function uploadRetryable(e: ApiError): boolean {
  return e.status === 429 || e.status === 503 || e.code === 'network';
}

/** How long to wait before attempt `attempt + 1`: the server's Retry-After, else 1 s doubling; capped at 30 s. */
export function uploadRetryDelayMs(e: ApiError, attempt: number): number {
  const base = e.retryAfterMs ?? 1000 * 2 ** (attempt - 1);
  return Math.min(30_000, Math.max(250, base)) * (0.8 + 0.4 * Math.random());
}

function uploadOnce<T>(path: string, file: Blob, token: string, onProgress: (loaded: number, total: number) => void, contentType: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API + path);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const data = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
      const err = data?.error;
      const retry = Number(xhr.getResponseHeader('Retry-After'));
      reject(
        new ApiError(
          err?.code ?? (xhr.status >= 500 ? 'unavailable' : 'bad_request'),
          err?.message ?? `HTTP ${xhr.status}`,
          xhr.status,
          Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined,
        ),
      );
    };
    xhr.onerror = () => reject(new ApiError('network', 'The server cannot be reached. Check your connection.'));
    xhr.send(file);
  });
}

export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'web';
  return `${browser} on ${os}`.slice(0, 64);
}
