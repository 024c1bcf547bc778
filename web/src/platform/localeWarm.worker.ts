// Runs in a dedicated worker (platform/localeWarm.ts): makes the formatters the chat list
// uses, so that the renderer process has loaded its locale and time-zone data before the
// page's main thread needs them, then says so and is terminated.
import { LIST_FORMATS } from '../core/format';

for (const options of LIST_FORMATS) new Intl.DateTimeFormat(undefined, options).format(0);
postMessage('warm');
