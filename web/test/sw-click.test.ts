// The service worker's notification click (public/sw.js): which window it focuses and which
// chat it opens. A real notification click cannot be made in headless Chromium (no DevTools
// command clicks a notification, and a synthetic `notificationclick` is untrusted, so
// `clients.openWindow` and `focus` are refused), so the worker script itself is run here, in
// a sandbox standing in for the worker's global scope.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const source = readFileSync(fileURLToPath(new URL('../public/sw.js', import.meta.url)), 'utf8');

type Win = {
  url: string;
  focused?: boolean;
  visibilityState?: 'visible' | 'hidden';
  calls: string[];
  focus: () => Promise<Win>;
  postMessage: (m: unknown) => void;
};

function win(url: string, state: Partial<Pick<Win, 'focused' | 'visibilityState'>> = {}): Win {
  const w: Win = {
    url,
    visibilityState: 'hidden',
    ...state,
    calls: [],
    focus: async () => {
      w.calls.push('focus');
      return w;
    },
    postMessage: (m) => w.calls.push(`message ${JSON.stringify(m)}`),
  };
  return w;
}

// Runs sw.js with a fake worker scope holding `windows`; returns its click handler and globals.
function worker(windows: Win[]) {
  const listeners: Record<string, (e: unknown) => void> = {};
  const opened: string[] = [];
  const queries: unknown[] = [];
  const self = {
    location: { origin: 'https://parley.example' },
    addEventListener: (type: string, fn: (e: unknown) => void) => (listeners[type] = fn),
    clients: {
      matchAll: async (q: unknown) => {
        queries.push(q);
        return windows;
      },
      openWindow: async (url: string) => {
        opened.push(url);
        return null;
      },
    },
  };
  const context = vm.createContext({ self, URL, console });
  vm.runInContext(source, context);
  const click = async (data: unknown) => {
    let done: Promise<unknown> = Promise.resolve();
    let closed = false;
    listeners.notificationclick({ notification: { data, close: () => (closed = true) }, waitUntil: (p: Promise<unknown>) => (done = p) });
    await done;
    return closed;
  };
  return { click, opened, queries, clickPlan: context.clickPlan, clickTarget: context.clickTarget };
}

const origin = 'https://parley.example';

describe('notification click', () => {
  it('focuses the window already showing that chat, even behind another one', async () => {
    const list = win(`${origin}/`, { focused: true, visibilityState: 'visible' });
    const chat = win(`${origin}/c/7`);
    const w = worker([list, chat]);
    expect(await w.click({ url: '/c/7' })).toBe(true);  // the notification is closed
    expect(chat.calls).toEqual(['focus']);
    expect(list.calls).toEqual([]);
    expect(w.opened).toEqual([]);
    expect(w.queries).toEqual([{ type: 'window', includeUncontrolled: true }]);
  });

  it('with the chat in no window, focuses the window in use and has the app open the chat', async () => {
    const older = win(`${origin}/c/3`);
    const inUse = win(`${origin}/c/5`, { visibilityState: 'visible' });
    const w = worker([older, inUse]);
    await w.click({ url: '/c/7' });
    expect(inUse.calls).toEqual(['message {"type":"open","url":"/c/7"}', 'focus']);
    expect(older.calls).toEqual([]);
    expect(w.opened).toEqual([]);
  });

  it('prefers the focused window, then a visible one, then the most recently used', () => {
    const w = worker([]);
    const a = win(`${origin}/c/1`);
    const b = win(`${origin}/c/2`, { visibilityState: 'visible' });
    const c = win(`${origin}/c/3`, { focused: true, visibilityState: 'visible' });
    expect(w.clickPlan([a, b, c], '/c/9').client).toBe(c);
    expect(w.clickPlan([a, b], '/c/9').client).toBe(b);
    expect(w.clickPlan([a, win(`${origin}/c/4`)], '/c/9').client).toBe(a);  // matchAll: most recent first
    // Several windows on the chat: the one in view.
    const chatHidden = win(`${origin}/c/9`);
    const chatVisible = win(`${origin}/c/9`, { visibilityState: 'visible' });
    expect(w.clickPlan([chatHidden, chatVisible], '/c/9')).toEqual({ action: 'focus', client: chatVisible });
    // A path that only starts like the chat's is another chat.
    expect(w.clickPlan([win(`${origin}/c/90`)], '/c/9').action).toBe('focus-and-open');
  });

  it('opens a new window at the chat when the app has none open', async () => {
    const w = worker([]);
    await w.click({ url: '/c/7', conversation_id: 7 });
    expect(w.opened).toEqual(['/c/7']);
  });

  it('never leaves the app: a target that is not a chat path opens the start page', async () => {
    const w = worker([]);
    for (const data of [{ url: 'https://evil.example/c/7' }, { url: '//evil.example/c/7' }, { url: '/c/7/../../admin' },
      { url: '/c/abc' }, { url: 42 }, {}, null, undefined]) {
      expect(w.clickTarget(data)).toBe('/');
    }
    await w.click({ url: 'javascript:alert(1)' });
    expect(w.opened).toEqual(['/']);
  });
});
