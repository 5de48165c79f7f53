import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DIST, ROOT } from './harness.js'

// What the example app's bundle is built from: rebuild when any of it is newer than the build.
const SOURCES = [
  'examples/library/src',
  'examples/library/index.html',
  'examples/library/vite.config.ts',
  'packages/client/src',
  'packages/react/src',
  'packages/protocol/src',
]

const newest = (path: string): number => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))))
}

/** Builds the example app unless `examples/library/dist` is already newer than its sources. */
export default function setup(): void {
  const index = join(DIST, 'index.html')
  const built = existsSync(index) ? statSync(index).mtimeMs : 0
  const changed = Math.max(...SOURCES.map((path) => newest(join(ROOT, path))))
  if (built >= changed) return
  console.log('e2e: building the example app (examples/library/dist is missing or stale)')
  execFileSync('npm', ['run', 'build', '-w', '@tidings/example-library'], {
    cwd: ROOT,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  })
}
