import { BLOCK, type BlockStore, type FileChange } from './block-saver.js'

const DATABASE = 'tidings'
/** Version 1 kept whole file images in `snapshots`; version 2 keeps blocks. */
const VERSION = 2
const BLOCKS = 'blocks'
const FILES = 'files'
const SNAPSHOTS = 'snapshots'

/** A database file as saved: its bytes (zero past `size`) and whether it came from v1. */
export interface SavedFile {
  image: Uint8Array
  size: number
  /** Loaded from a version 1 whole-file snapshot: save it whole once, then the snapshot goes. */
  legacy: boolean
}

/**
 * One database file kept in IndexedDB as `BLOCK`-sized records keyed `[name, index]`, plus its
 * size in `files`. Each save is one IndexedDB transaction with `durability: 'strict'` (the
 * browser flushes it to disk before it completes), so the stored file moves atomically from one
 * committed state to the next, and a completed save survives a crash of the browser or the OS.
 */
export class IdbBlocks implements BlockStore {
  /** Blocks the store holds, so a shrinking save knows what to delete. */
  #count = 0
  #legacy = false

  private constructor(
    private readonly idb: IDBDatabase,
    private readonly name: string,
  ) {}

  static async open(name: string): Promise<IdbBlocks> {
    const open = indexedDB.open(DATABASE, VERSION)
    open.onupgradeneeded = () => {
      const stores = open.result.objectStoreNames
      if (!stores.contains(BLOCKS)) open.result.createObjectStore(BLOCKS)
      if (!stores.contains(FILES)) open.result.createObjectStore(FILES)
    }
    const idb = await request(open)
    // A later version opened in another tab waits for this connection: let it go.
    idb.onversionchange = () => idb.close()
    return new IdbBlocks(idb, name)
  }

  async load(): Promise<SavedFile> {
    const legacy = this.idb.objectStoreNames.contains(SNAPSHOTS)
    const names = legacy ? [BLOCKS, FILES, SNAPSHOTS] : [BLOCKS, FILES]
    const tx = this.idb.transaction(names, 'readonly')
    const range = this.#range(0)
    const [file, keys, values, snapshot] = await Promise.all([
      request<unknown>(tx.objectStore(FILES).get(this.name)),
      request(tx.objectStore(BLOCKS).getAllKeys(range)),
      request<unknown[]>(tx.objectStore(BLOCKS).getAll(range)),
      legacy ? request<unknown>(tx.objectStore(SNAPSHOTS).get(this.name)) : null,
    ])
    if (!isFile(file)) {
      if (snapshot instanceof Uint8Array && snapshot.byteLength > 0) {
        this.#legacy = true
        return { image: snapshot, size: snapshot.byteLength, legacy: true }
      }
      return { image: new Uint8Array(0), size: 0, legacy: false }
    }
    const image = new Uint8Array(Math.ceil(file.size / BLOCK) * BLOCK)
    keys.forEach((key, i) => {
      const index = (key as [string, number])[1]
      const bytes = values[i]
      if (bytes instanceof Uint8Array && index * BLOCK < image.byteLength)
        image.set(bytes.subarray(0, BLOCK), index * BLOCK)
    })
    this.#count = Math.ceil(file.size / BLOCK)
    return { image, size: file.size, legacy: false }
  }

  async save(change: FileChange): Promise<void> {
    const names = this.#legacy ? [BLOCKS, FILES, SNAPSHOTS] : [BLOCKS, FILES]
    const tx = this.idb.transaction(names, 'readwrite', { durability: 'strict' })
    const blocks = tx.objectStore(BLOCKS)
    const count = Math.ceil(change.size / BLOCK)
    for (const [index, bytes] of change.blocks) {
      if (index < count) blocks.put(bytes, [this.name, index])
    }
    if (count < this.#count) blocks.delete(this.#range(count))
    tx.objectStore(FILES).put({ size: change.size }, this.name)
    // The v1 snapshot goes in the same transaction that first saves the file as blocks.
    if (this.#legacy) tx.objectStore(SNAPSHOTS).delete(this.name)
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'))
    })
    this.#count = count
    this.#legacy = false
  }

  close(): void {
    this.idb.close()
  }

  #range(from: number): IDBKeyRange {
    return IDBKeyRange.bound([this.name, from], [this.name, Number.MAX_SAFE_INTEGER])
  }
}

const isFile = (value: unknown): value is { size: number } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { size?: unknown }).size === 'number'

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
