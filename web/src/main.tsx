// First: starts loading the locale data on another thread (platform/localeWarm.ts).
import './platform/localeWarm';
import { render } from 'preact';
import { App } from './ui/App';
import './styles.css';
import { applyTheme, loadTheme } from './ui/theme';
import { loadSession } from './ui/session';
import { registerWorkerLater, startEarly } from './ui/startup';

applyTheme(loadTheme());
startEarly(loadSession());

render(<App />, document.getElementById('app')!);

registerWorkerLater();
