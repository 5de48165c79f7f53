import type { Migration, MigrationProvider } from 'kysely'
import type { Family } from '../dialects/family.js'
import { initial } from './0001-initial.js'
import { pageIndex } from './0002-page-index.js'
import { bundlePart } from './0003-bundle-part.js'
import { identities } from './0004-identities.js'
import { spaces } from './0005-spaces.js'
import { readModel } from './0006-read-model.js'
import { serverWriters } from './0007-server-writers.js'
import { compaction } from './0008-compaction.js'

/**
 * Every migration, held in code so a bundled or installed server never looks for files on
 * disk. Names sort in the order they run.
 */
export const migrationProvider = (family: Family): MigrationProvider => ({
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-initial': initial(family),
      '0002-page-index': pageIndex,
      '0003-bundle-part': bundlePart,
      '0004-identities': identities,
      '0005-spaces': spaces(family),
      '0006-read-model': readModel(family),
      '0007-server-writers': serverWriters,
      '0008-compaction': compaction(family),
    }
  },
})
