import { TidingsError } from '@tidings/protocol'
import type { SqliteC, WasmModule } from './wasm-module.js'

const STORE = 'snapshots'
const SQLITE_DESERIALIZE_FREEONCLOSE = 1
const SQLITE_DESERIALIZE_RESIZEABLE = 2

/**
 * IndexedDB persistence for an in-memory SQLite database, the fallback where OPFS is missing
 * (private windows). wa-sqlite's IndexedDB VFSes are asynchronous and do not run on the
 * synchronous build the client core needs, so the database lives in memory and its whole file
 * image (`sqlite3_serialize`) is written to IndexedDB after every commit burst. A commit is
 * durable once the following snapshot lands, a few milliseconds later.
 */
export class IdbSnapshot {
  #pending: Promise<void> = Promise.resolve()
  #dirty = false
  #failed: unknown = null
  #target: { module: WasmModule; c: SqliteC; db: number } | null = null

  private constructor(
    private readonly idb: IDBDatabase,
    private readonly key: string,
  ) {}

  static async open(name: string): Promise<IdbSnapshot> {
    const open = indexedDB.open('tidings', 1)
    open.onupgradeneeded = () => open.result.createObjectStore(STORE)
    return new IdbSnapshot(await request(open), name)
  }

  /** Loads the saved file image into `db` (an open `:memory:` connection) and tracks `db`. */
  async restore(module: WasmModule, c: SqliteC, db: number): Promise<void> {
    this.#target = { module, c, db }
    const tx = this.idb.transaction(STORE, 'readonly')
    const saved = await request<unknown>(tx.objectStore(STORE).get(this.key))
    if (!(saved instanceof Uint8Array) || saved.byteLength === 0) return
    const mem = module._sqlite3_malloc(saved.byteLength)
    module.HEAPU8.set(saved, mem)
    const flags = SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE
    const size = saved.byteLength
    const rc = c.deserialize(db, 'main', mem, size, 0, size, 0, flags)
    if (rc !== 0)
      throw new TidingsError('internal', `restoring the IndexedDB snapshot failed (${rc})`)
  }

  /** Marks the database changed (from SQLite's commit hook); one snapshot per commit burst. */
  schedule(): void {
    if (this.#dirty) return
    this.#dirty = true
    // The commit completes after the hook returns: capture once the current task is over.
    setTimeout(() => this.saveNow(), 0)
  }

  /** Captures the file image now if it changed; called before the connection closes. */
  saveNow(): void {
    if (!this.#dirty || !this.#target) return
    this.#dirty = false
    const image = serialize(this.#target)
    this.#pending = this.#pending
      .then(() => this.#write(image))
      .catch((error: unknown) => {
        this.#failed = error
        console.error('Tidings: saving the database to IndexedDB failed', error)
      })
  }

  /** Waits for every captured snapshot; throws if one failed, so data loss is never silent. */
  async flush(): Promise<void> {
    this.saveNow()
    await this.#pending
    if (this.#failed) {
      throw new TidingsError('internal', 'saving the database to IndexedDB failed', {
        cause: this.#failed,
      })
    }
  }

  /** Saves what changed, then lets go of IndexedDB once the last write lands. */
  close(): void {
    this.saveNow()
    this.#target = null
    void this.#pending.finally(() => this.idb.close())
  }

  async #write(image: Uint8Array): Promise<void> {
    const tx = this.idb.transaction(STORE, 'readwrite')
    tx.objectStore(STORE).put(image, this.key)
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })
  }
}

function serialize({ module, c, db }: { module: WasmModule; c: SqliteC; db: number }): Uint8Array {
  const sizePtr = module._malloc(8)
  try {
    const ptr = c.serialize(db, 'main', sizePtr, 0) as number
    if (ptr === 0) return new Uint8Array(0)
    const size = module.getValue(sizePtr, 'i32')
    const image = module.HEAPU8.slice(ptr, ptr + size)
    module._sqlite3_free(ptr)
    return image
  } finally {
    module._free(sizePtr)
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
