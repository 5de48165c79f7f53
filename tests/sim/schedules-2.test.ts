import { vi } from 'vitest'
import { shareTest } from './share.js'

vi.mock('uuidv7', () => import('./ids.js'))

// Share 2 of the run's schedules (see share.ts); the other files run in parallel.
shareTest(1)
