import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// `npm run dev` proxies /api to a running garden-dashboard (or the mock of dev/mock-server.mjs).
const backend = process.env.DASHBOARD_BACKEND || 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [preact()],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
    },
  },
});
