import { defineConfig } from 'vite';

/**
 * The web console: built into dist/web by `npm run build` (docs/console.md), served by the
 * service itself at / (src/app/console). Paths are relative to the repository's folder, where
 * `npm run web:build` runs. `npm run web:dev` serves it with Vite's server, proxying the API
 * of a running `npm start`, for whoever edits the console.
 */
export default defineConfig({
  root: 'web',
  base: '/',
  publicDir: false,
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Sizes (gzip) in the build's report; bench/console.js measures the first screen.
    reportCompressedSize: true,
    // The budget that matters is the first screen's gzipped JavaScript (300 KB, checked by
    // test/e2e/console-static.e2e-spec.ts); the entry is about 810 kB before compression, and a
    // warning at every `npm start` would only be noise in a newcomer's first output.
    chunkSizeWarningLimit: 1000,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // antd marks its modules "use client" for React Server Components; meaningless here.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000', '/taxii2': 'http://127.0.0.1:3000' },
  },
});
