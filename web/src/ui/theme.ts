/**
 * The colour theme: the system's (default), or light or dark as picked in settings. Stored in
 * localStorage ("parley.theme") and applied as <html data-theme="light|dark"> (no attribute:
 * follow the system), which styles.css turns into its colour variables.
 */
export type Theme = 'system' | 'light' | 'dark';

const KEY = 'parley.theme';

export function loadTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function saveTheme(theme: Theme): void {
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    /* private mode: applies until the page closes */
  }
  applyTheme(theme);
}
