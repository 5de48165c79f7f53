import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The sync server `npx tidings serve --demo` runs beside `npx vite`, on its default port.
const server = 'http://127.0.0.1:8787'

export default defineConfig({
  plugins: [react()],
  // The client's worker imports modules of its own: an ES module worker, not a classic one.
  worker: { format: 'es' },
  // wa-sqlite finds its .wasm next to its module; pre-bundling would move the module away.
  optimizeDeps: { exclude: ['@journeyapps/wa-sqlite'] },
  server: { proxy: { '/v1': server, '/config.json': server } },
  build: { target: 'es2022' },
})
