// Chromium's performance trace through the DevTools protocol, and what a long task is made of:
// the renderer main thread's longest tasks, each broken down into script (by function, from the
// sampling profiler), style, layout, paint, parsing and garbage collection. Used by
// heavy.bench.mjs when PARLEY_BENCH_PROFILE is set.

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'v8',
  'disabled-by-default-v8.cpu_profiler',
  'blink.user_timing',
  'loading',
].join(',');

/** Starts tracing the page's renderer; `stop()` resolves with the trace events. */
export async function startTrace(context, page) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((res) => cdp.once('Tracing.tracingComplete', res));
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  return {
    cdp,
    async stop() {
      await cdp.send('Tracing.end');
      await done;
      return events;
    },
  };
}

/** The renderer main threads of a trace: [pid, tid] pairs. */
function mainThreads(events) {
  return events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`);
}

/**
 * Self time (ms) per function from the sampling profiler's chunks, within [from, to] (trace µs).
 * The chunks come from the profiler's own thread: they belong to the renderer by process and
 * to one profile by id.
 */
function scriptByFunction(events, thread, from, to) {
  const pid = Number(thread.split(':')[0]);
  const nodes = new Map();
  const self = new Map();
  const mine = events.filter((e) => e.pid === pid && (e.name === 'Profile' || e.name === 'ProfileChunk')).sort((a, b) => a.ts - b.ts);
  for (const e of mine) {
    const p = e.args?.data?.cpuProfile;
    if (!p) continue;
    for (const n of p.nodes ?? []) nodes.set(`${e.id}:${n.id}`, n);
  }
  // Samples: each chunk continues the running time from its Profile event's startTime.
  const clock = new Map();
  for (const e of mine) {
    if (e.name === 'Profile') {
      clock.set(e.id, e.args?.data?.startTime ?? 0);
      continue;
    }
    let t = clock.get(e.id) ?? 0;
    const samples = e.args?.data?.cpuProfile?.samples ?? [];
    const deltas = e.args?.data?.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      const next = deltas[i + 1] ?? 0;
      if (t < from || t > to) continue;
      const n = nodes.get(`${e.id}:${samples[i]}`);
      const f = n?.callFrame;
      if (!f || f.functionName === '(idle)' || f.functionName === '(program)') continue;
      const url = (f.url || '').split('/').pop();
      const key = `${f.functionName || '(anonymous)'} ${url}:${(f.lineNumber ?? 0) + 1}:${(f.columnNumber ?? 0) + 1}`;
      self.set(key, (self.get(key) ?? 0) + Math.max(next, 0) / 1000);
    }
    clock.set(e.id, t);
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]);
}

const KINDS = {
  script: ['FunctionCall', 'EvaluateScript', 'v8.evaluateModule', 'TimerFire', 'EventDispatch', 'FireAnimationFrame', 'RunMicrotasks', 'v8.run'],
  compile: ['v8.compile', 'v8.compileModule', 'V8.CompileCode', 'v8.parseOnBackground', 'CompileScript'],
  style: ['UpdateLayoutTree', 'RecalculateStyles', 'ParseAuthorStyleSheet'],
  layout: ['Layout', 'UpdateLayerTree', 'IntersectionObserverController::computeIntersections'],
  paint: ['Paint', 'PrePaint', 'Layerize', 'CompositeLayers', 'UpdateLayer'],
  html: ['ParseHTML'],
  gc: ['MinorGC', 'MajorGC', 'V8.GCScavenger', 'V8.GCFinalizeMC', 'BlinkGC.AtomicPhase'],
};

/**
 * The `count` longest main-thread tasks of a trace (optionally only those overlapping
 * [fromMs, toMs] of the trace clock), each with its time by kind (outermost events of each
 * kind only) and its top functions by self time.
 */
export function longestTasks(events, { count = 3, top = 12 } = {}) {
  const threads = new Set(mainThreads(events));
  const tasks = events
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && threads.has(`${e.pid}:${e.tid}`) && e.dur > 0)
    .sort((a, b) => b.dur - a.dur)
    .slice(0, count);
  return tasks.map((task) => {
    const thread = `${task.pid}:${task.tid}`;
    const from = task.ts;
    const to = task.ts + task.dur;
    const inner = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === thread && e.ts >= from && e.ts + (e.dur ?? 0) <= to && e !== task);
    const kinds = {};
    for (const [kind, names] of Object.entries(KINDS)) {
      const mine = inner.filter((e) => names.includes(e.name)).sort((a, b) => a.ts - b.ts);
      // Outermost only: a FunctionCall inside a TimerFire counts once.
      let end = -Infinity;
      let sum = 0;
      for (const e of mine) {
        if (e.ts >= end) {
          sum += e.dur;
          end = e.ts + e.dur;
        }
      }
      kinds[kind] = Math.round(sum / 100) / 10;
    }
    const first = inner.filter((e) => e.dur > task.dur * 0.05).sort((a, b) => a.ts - b.ts).slice(0, 12).map((e) => `${e.name} ${(e.dur / 1000).toFixed(1)}`);
    return {
      ms: Math.round(task.dur / 100) / 10,
      // The main thread's own time in the task (its CPU time): on a shared machine the wall time
      // also holds the time the thread waited for a core.
      cpu: Math.round((task.tdur ?? 0) / 100) / 10,
      kinds,
      events: first,
      functions: scriptByFunction(events, thread, from, to).slice(0, top).map(([k, v]) => `${v.toFixed(1)} ${k}`),
    };
  });
}

/**
 * The main thread's own time (ms) in its busiest tasks of a trace, highest first: what the app
 * costs, without the time the thread waited for a core. The task that started the profiler is
 * left out (the trace's own cost).
 */
export function threadTimes(events) {
  const threads = new Set(mainThreads(events));
  const starts = events.filter((e) => e.name === 'CpuProfiler::StartProfiling');
  return events
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && threads.has(`${e.pid}:${e.tid}`) && e.tdur > 0)
    .filter((t) => !starts.some((s) => s.pid === t.pid && s.tid === t.tid && s.ts >= t.ts && s.ts <= t.ts + t.dur))
    .map((t) => t.tdur / 1000)
    .sort((a, b) => b - a);
}

/** Prints longestTasks() for a trace. */
export function printTasks(title, events, opts) {
  console.log(`\n${title}`);
  for (const t of longestTasks(events, opts)) {
    console.log(`  task ${t.ms} ms (thread ${t.cpu} ms): ${Object.entries(t.kinds).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`    events: ${t.events.join(' | ')}`);
    for (const f of t.functions) console.log(`    ${f}`);
  }
}
