import react from '@vitejs/plugin-react'
import { defaultClientConditions, defineConfig } from 'vite'

// Workspace packages resolve to their TypeScript sources (the `@tidings/source` export
// condition), so the app builds without building the packages first.
const conditions = ['@tidings/source', ...defaultClientConditions]
const WORKSPACE_SOURCE = /\/packages\/(protocol|client|react)\/src\//
// The workspace packages have no import-time side effects; saying so lets the page bundle drop
// what it does not use (the protocol's wire schemas and zod).
const treeshake = { moduleSideEffects: (id: string) => !WORKSPACE_SOURCE.test(id) }
const server = process.env.TIDINGS_SERVER ?? 'http://127.0.0.1:8787'

export default defineConfig({
  plugins: [react()],
  resolve: { conditions },
  worker: { format: 'es', rolldownOptions: { treeshake } },
  // wa-sqlite finds its .wasm next to its module; pre-bundling would move the module away.
  optimizeDeps: { exclude: ['@journeyapps/wa-sqlite'] },
  // `npm run dev` talks to a `tidings serve --demo` running beside it.
  server: { proxy: { '/v1': server, '/config.json': server } },
  build: {
    target: 'es2022',
    rolldownOptions: { treeshake },
  },
})
