import { defineConfig } from 'vitest/config';
import { bundleBudget } from './budget.ts';
import { precompress } from './precompress.ts';

// Preact's automatic JSX runtime is selected in tsconfig.json (jsxImportSource);
// Vite's transformer reads it from there, so no framework plugin is needed.
export default defineConfig({
  base: '/',
  plugins: [bundleBudget(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target: process.env.PARLEY_API ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
