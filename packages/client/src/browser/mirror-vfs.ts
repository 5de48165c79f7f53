/// <reference path="./wa-sqlite-vfs.d.ts" />
import { FacadeVFS } from '@journeyapps/wa-sqlite/src/FacadeVFS.js'
import * as VFS from '@journeyapps/wa-sqlite/src/VFS.js'
import { BLOCK, type FileChange } from './block-saver.js'

/** One file in memory; `dirty` (main database file only) holds the blocks changed unsaved. */
interface MemoryFile {
  path: string
  flags: number
  data: Uint8Array
  size: number
  lock: number
  dirty: Set<number> | null
}

/**
 * A synchronous VFS (it runs on wa-sqlite's synchronous build, as the client core needs) that
 * keeps files in memory and mirrors the main database file elsewhere block by block: it notes
 * the blocks each write touches, and when a write transaction ends (the lock drops below
 * RESERVED, so the file holds a committed state) hands exactly those blocks to `onCommit`.
 * Journals and temporary files stay in memory: only committed states ever leave.
 */
export class MirrorVFS extends FacadeVFS {
  readonly #byPath = new Map<string, MemoryFile>()
  readonly #byId = new Map<number, MemoryFile>()

  constructor(
    name: string,
    module: object,
    main: { path: string; image: Uint8Array; size: number },
    private readonly onCommit: (change: FileChange) => void,
  ) {
    super(name, module)
    const path = pathOf(main.path)
    const data = new Uint8Array(capacity(main.size, 0))
    data.set(main.image.subarray(0, main.size))
    this.#byPath.set(path, {
      path,
      flags: VFS.SQLITE_OPEN_MAIN_DB,
      data,
      size: main.size,
      lock: VFS.SQLITE_LOCK_NONE,
      dirty: new Set(),
    })
  }

  override jOpen(filename: string | null, fileId: number, flags: number, out: DataView): number {
    const path = pathOf(filename ?? `temp-${Math.random().toString(36).slice(2)}`)
    let file = this.#byPath.get(path)
    if (!file) {
      if (!(flags & VFS.SQLITE_OPEN_CREATE)) return VFS.SQLITE_CANTOPEN
      const data = new Uint8Array(0)
      file = { path, flags, data, size: 0, lock: VFS.SQLITE_LOCK_NONE, dirty: null }
      this.#byPath.set(path, file)
    }
    this.#byId.set(fileId, file)
    out.setInt32(0, flags, true)
    return VFS.SQLITE_OK
  }

  override jClose(fileId: number): number {
    const file = this.#byId.get(fileId)
    this.#byId.delete(fileId)
    if (file && file.flags & VFS.SQLITE_OPEN_DELETEONCLOSE) this.#byPath.delete(file.path)
    return VFS.SQLITE_OK
  }

  override jDelete(filename: string): number {
    const file = this.#byPath.get(pathOf(filename))
    // The mirrored database file is never deleted by SQLite; only journals and temp files are.
    if (file && !file.dirty) this.#byPath.delete(file.path)
    return VFS.SQLITE_OK
  }

  override jAccess(filename: string, _flags: number, out: DataView): number {
    out.setInt32(0, this.#byPath.has(pathOf(filename)) ? 1 : 0, true)
    return VFS.SQLITE_OK
  }

  override jRead(fileId: number, pData: Uint8Array, offset: number): number {
    const file = this.#byId.get(fileId)!
    const out = pData.subarray()
    const end = Math.min(offset + out.byteLength, file.size)
    const count = Math.max(0, end - offset)
    if (count > 0) out.set(file.data.subarray(offset, end))
    if (count === out.byteLength) return VFS.SQLITE_OK
    out.fill(0, count)
    return VFS.SQLITE_IOERR_SHORT_READ
  }

  override jWrite(fileId: number, pData: Uint8Array, offset: number): number {
    const file = this.#byId.get(fileId)!
    const bytes = pData.subarray()
    const end = offset + bytes.byteLength
    // Writing past the end also dirties the zeros between the old end and the write.
    this.#resize(file, Math.max(file.size, end))
    file.data.set(bytes, offset)
    touch(file, offset, end)
    return VFS.SQLITE_OK
  }

  override jTruncate(fileId: number, size: number): number {
    this.#resize(this.#byId.get(fileId)!, size)
    return VFS.SQLITE_OK
  }

  override jSync(): number {
    // Durability comes from the mirror's saves at the end of each transaction, not from here.
    return VFS.SQLITE_OK
  }

  override jFileSize(fileId: number, out: DataView): number {
    out.setBigInt64(0, BigInt(this.#byId.get(fileId)!.size), true)
    return VFS.SQLITE_OK
  }

  override jLock(fileId: number, lockType: number): number {
    // One connection (the worker holds a Web Lock per database): every lock is granted.
    const file = this.#byId.get(fileId)!
    file.lock = Math.max(file.lock, lockType)
    return VFS.SQLITE_OK
  }

  override jUnlock(fileId: number, lockType: number): number {
    const file = this.#byId.get(fileId)!
    const wrote = file.lock >= VFS.SQLITE_LOCK_RESERVED && lockType < VFS.SQLITE_LOCK_RESERVED
    file.lock = lockType
    if (wrote && file.dirty && file.dirty.size > 0) {
      try {
        this.onCommit(this.#take(file))
      } catch {
        return VFS.SQLITE_IOERR_UNLOCK
      }
    }
    return VFS.SQLITE_OK
  }

  override jCheckReservedLock(fileId: number, out: DataView): number {
    const locked = this.#byId.get(fileId)!.lock >= VFS.SQLITE_LOCK_RESERVED
    out.setInt32(0, locked ? 1 : 0, true)
    return VFS.SQLITE_OK
  }

  /** The committed blocks changed since the last call, copied (the file keeps changing). */
  #take(file: MemoryFile): FileChange {
    const blocks = new Map<number, Uint8Array>()
    const count = Math.ceil(file.size / BLOCK)
    for (const index of file.dirty!) {
      if (index < count) blocks.set(index, file.data.slice(index * BLOCK, (index + 1) * BLOCK))
    }
    file.dirty!.clear()
    return { size: file.size, blocks }
  }

  /** Grows (with zeros) or shrinks the file, dirtying the blocks whose bytes change. */
  #resize(file: MemoryFile, size: number): void {
    if (size > file.data.byteLength) {
      const data = new Uint8Array(capacity(size, file.data.byteLength))
      data.set(file.data.subarray(0, file.size))
      file.data = data
    }
    if (size < file.size) {
      file.data.fill(0, size, file.size)
      touch(file, size, size % BLOCK === 0 ? size : size + 1)
    } else if (size > file.size) {
      touch(file, file.size, size)
    }
    file.size = size
  }
}

/** Marks the blocks holding bytes [start, end) as changed. */
function touch(file: MemoryFile, start: number, end: number): void {
  if (!file.dirty || end <= start) return
  const last = Math.floor((end - 1) / BLOCK)
  for (let index = Math.floor(start / BLOCK); index <= last; index++) file.dirty.add(index)
}

/** Room for `size` bytes in whole blocks, at least doubling so appends stay amortized O(1). */
function capacity(size: number, current: number): number {
  return Math.ceil(Math.max(size, current * 2, BLOCK) / BLOCK) * BLOCK
}

const pathOf = (name: string): string => new URL(name, 'file://').pathname
