// Runs in a dedicated worker (platform/localeWarm.ts): makes the formatters the chat list
// uses, so that the renderer process has loaded its locale and time-zone data before the
// page's main thread needs them, then says so and is terminated.
for (const options of [
  { hour: '2-digit', minute: '2-digit', hour12: false },
  { weekday: 'long' },
  { year: 'numeric', month: '2-digit', day: '2-digit' },
] as Intl.DateTimeFormatOptions[]) {
  new Intl.DateTimeFormat(undefined, options).format(0);
}
postMessage('warm');
