// `tidings init [DIR]`: writes the starter app (packages/server/templates/app, shipped in the
// package) so a new user goes from nothing to two syncing tabs with three commands.
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The template, found from this module: `dist/cli/` and `src/cli/` are both two levels down. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/app/', import.meta.url))

/** What the starter app needs besides the Tidings server (which runs `init`). */
export const STARTER_DEPENDENCIES = ['@tidings/client', '@tidings/react', 'react', 'react-dom']
export const STARTER_DEV_DEPENDENCIES = [
  'vite',
  '@vitejs/plugin-react',
  'typescript',
  '@types/react',
  '@types/react-dom',
]

export interface InitResult {
  written: string[]
  /** Files already there: never overwritten. */
  kept: string[]
}

/** Copies the template into `dir`, keeping any file that already exists. */
export const writeStarter = async (dir: string): Promise<InitResult> => {
  const result: InitResult = { written: [], kept: [] }
  for (const file of await listFiles(TEMPLATE_DIR)) {
    const target = join(dir, file)
    if (await exists(target)) {
      result.kept.push(file)
      continue
    }
    await mkdir(dirname(target), { recursive: true })
    await copyFile(join(TEMPLATE_DIR, file), target)
    result.written.push(file)
  }
  return result
}

/** The next steps printed after `init`. */
export const nextSteps = (dir: string, result: InitResult): string => {
  const cd = relative(process.cwd(), dir)
  return [
    ...result.written.map((file) => `wrote ${file}`),
    ...result.kept.map((file) => `kept ${file} (already there)`),
    '',
    'Next:',
    ...(cd === '' ? [] : [`  cd ${cd}`]),
    `  npm install ${STARTER_DEPENDENCIES.join(' ')}`,
    `  npm install -D ${STARTER_DEV_DEPENDENCIES.join(' ')}`,
    '  npx tidings serve --demo    # the sync server (insecure demo token), in one terminal',
    '  npx vite                    # the app, in another: open it in two tabs and add a note',
  ].join('\n')
}

const listFiles = async (root: string, under = ''): Promise<string[]> => {
  const files: string[] = []
  for (const entry of await readdir(join(root, under), { withFileTypes: true })) {
    const path = join(under, entry.name)
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)))
    else files.push(path)
  }
  return files.sort()
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  )
