import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The portal is served by `schemaport serve` from the binary (src/portal), under a CSP of
// `script-src 'self'`: no inline scripts, no CDN. CMake passes --outDir into its build tree.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
