import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The console is served by `sdg serve` at `/` from assets embedded in the
// binary (control-api/build.rs reads web/dist). `npm run dev` proxies the API
// to a local `sdg serve` on its default port.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Deterministic file names from content: the committed bundle is rebuilt
    // by scripts/test.sh, which fails if it differs.
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // The editor's templates are configs/*.yaml, outside web/.
    fs: { allow: ['..'] },
    proxy: {
      '/api': 'http://127.0.0.1:50032',
      '/openapi.json': 'http://127.0.0.1:50032',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    // A real sdg serve for the tests (src/test/global-setup.ts).
    globalSetup: ['src/test/global-setup.ts'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20_000,
  },
});
