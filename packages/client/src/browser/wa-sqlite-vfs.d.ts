// wa-sqlite ships no declarations for these example and base VFS classes; these are the parts
// the adapter uses.
declare module '@journeyapps/wa-sqlite/src/examples/OPFSCoopSyncVFS.js' {
  export class OPFSCoopSyncVFS {
    static create(name: string, module: unknown): Promise<OPFSCoopSyncVFS>
  }
}

declare module '@journeyapps/wa-sqlite/src/FacadeVFS.js' {
  import * as VFS from '@journeyapps/wa-sqlite/src/VFS.js'

  /** wa-sqlite's VFS base with JavaScript-friendly `j*` methods; synchronous when they are. */
  export class FacadeVFS extends VFS.Base {
    jOpen(filename: string | null, fileId: number, flags: number, pOutFlags: DataView): number
    jDelete(filename: string, syncDir: number): number
    jAccess(filename: string, flags: number, pResOut: DataView): number
    jClose(fileId: number): number
    jRead(fileId: number, pData: Uint8Array, iOffset: number): number
    jWrite(fileId: number, pData: Uint8Array, iOffset: number): number
    jTruncate(fileId: number, size: number): number
    jSync(fileId: number, flags: number): number
    jFileSize(fileId: number, pSize64: DataView): number
    jLock(fileId: number, lockType: number): number
    jUnlock(fileId: number, lockType: number): number
    jCheckReservedLock(fileId: number, pResOut: DataView): number
  }
}
