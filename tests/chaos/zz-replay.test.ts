import { it } from 'vitest'
import { runSchedule, describeReport } from './schedule.js'
it('replay', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await runSchedule({ seed: 1000 + i, backend: 'postgres', clients: 5, steps: 30, kills: 1 })
    console.log(describeReport(r), JSON.stringify(r.problems, null, 1).slice(0, 6000))
  }
}, 400_000)
