import { afterAll, beforeAll, expect, it } from 'vitest'
import { Device, describeBrowser, startApp } from './harness.js'

// Devices that ran the first IndexedDB fallback kept their database as one whole-file snapshot
// (IndexedDB `tidings` version 1, store `snapshots`). The block store must open it, save it as
// blocks, and only then drop the snapshot.
describeBrowser('IndexedDB fallback upgrade in Chromium', () => {
  let server: Awaited<ReturnType<typeof startApp>>
  let device: Device

  beforeAll(async () => {
    server = await startApp()
    device = await Device.open('idb-upgrade', server.url, '/?storage=indexeddb')
  })
  afterAll(async () => {
    await device?.close()
    await server?.close()
  })

  it('opens a version 1 snapshot, keeps its documents, and moves it to blocks', async () => {
    await device.add({ title: 'Kept in a snapshot', author: 'Version One' })
    await device.add({ title: 'Also in the snapshot', author: 'Version One' })
    const before = (await device.titles()).sort()
    // Turn the saved blocks into what version 1 stored: one file image under `snapshots`.
    await device.page.evaluate(async () => {
      const done = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
      const current = await done(indexedDB.open('tidings'))
      const tx = current.transaction(['files', 'blocks'], 'readonly')
      const { size } = (await done(tx.objectStore('files').get('library'))) as { size: number }
      const range = IDBKeyRange.bound(['library', 0], ['library', Number.MAX_SAFE_INTEGER])
      const keys = await done(tx.objectStore('blocks').getAllKeys(range))
      const blocks = (await done(tx.objectStore('blocks').getAll(range))) as Uint8Array[]
      current.close()
      const image = new Uint8Array(size)
      keys.forEach((key, i) => {
        const at = (key as [string, number])[1] * 4096
        image.set(blocks[i]!.subarray(0, Math.max(0, Math.min(4096, size - at))), at)
      })
      await (window as unknown as { tidings: { close(): Promise<void> } }).tidings.close()
      await done(indexedDB.deleteDatabase('tidings'))
      const v1 = indexedDB.open('tidings', 1)
      v1.onupgradeneeded = () => v1.result.createObjectStore('snapshots')
      const old = await done(v1)
      const put = old.transaction('snapshots', 'readwrite')
      put.objectStore('snapshots').put(image, 'library')
      await new Promise((resolve) => (put.oncomplete = resolve))
      old.close()
    })
    await device.reload()
    expect((await device.titles()).sort()).toEqual(before)
    const stored = await device.page.evaluate(async () => {
      const done = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
      const idb = await done(indexedDB.open('tidings'))
      const tx = idb.transaction(['files', 'snapshots'], 'readonly')
      const file = await done(tx.objectStore('files').get('library'))
      const snapshot = await done(tx.objectStore('snapshots').get('library'))
      idb.close()
      return { version: idb.version, file: file !== undefined, snapshot: snapshot !== undefined }
    })
    expect(stored).toEqual({ version: 2, file: true, snapshot: false })
  })
})
