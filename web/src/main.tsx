import { render } from 'preact';
import { App } from './ui/App';
import './styles.css';
import { applyTheme, loadTheme } from './ui/theme';

applyTheme(loadTheme());

render(<App />, document.getElementById('app')!);

if ('serviceWorker' in navigator && window.isSecureContext) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker not registered', e));
  });
}
