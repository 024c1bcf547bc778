/**
 * Loads the browser's locale data on another thread while the page starts.
 *
 * The page's first Intl object costs far more than any later one: the renderer loads its
 * locale and time-zone data then (measured in Chromium with the CPU slowed 4x: 120-170 ms for
 * the first formatter, under 10 ms for each one after it). That data is shared by the whole
 * renderer process, so a dedicated worker that makes the chat list's formatters while the
 * main thread evaluates the bundle and draws the first screen leaves the main thread only the
 * cheap part. Imported first by main.tsx. Nothing depends on it: without workers, or if the
 * worker fails to load, the main thread pays as before.
 */
function warmLocaleData(): void {
  if (typeof Worker !== 'function') return;
  try {
    const worker = new Worker(new URL('./localeWarm.worker.ts', import.meta.url), { type: 'module', name: 'locale-warm' });
    const stop = () => worker.terminate();
    worker.onmessage = stop;
    worker.onerror = stop;
  } catch {
    // A worker refused (a policy, a sandbox): the formatters are made on the main thread.
  }
}

warmLocaleData();
