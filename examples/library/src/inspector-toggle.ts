import { useEffect, useState } from 'react'

/**
 * Whether this page may open the developer inspector at all: in development builds, in a build
 * made with `VITE_TIDINGS_INSPECTOR=1`, or with `?inspect=1` in the URL (which also opens it at
 * once). Production builds otherwise leave it out: its code is only loaded when it opens.
 */
export const inspectorAllowed = (): boolean =>
  import.meta.env.DEV ||
  import.meta.env.VITE_TIDINGS_INSPECTOR === '1' ||
  new URLSearchParams(location.search).get('inspect') === '1'

/** Alt+I (Ctrl+Shift+I is the browser's own devtools) or Ctrl+` opens and closes the panel. */
const isToggleKey = (event: KeyboardEvent): boolean =>
  (event.altKey && !event.ctrlKey && event.code === 'KeyI') ||
  (event.ctrlKey && event.code === 'Backquote')

/** The panel's open state, driven by the key and `?inspect=1`. */
export function useInspectorToggle(): [boolean, (open: boolean) => void] {
  const allowed = inspectorAllowed()
  const [open, setOpen] = useState(
    () => new URLSearchParams(location.search).get('inspect') === '1',
  )
  useEffect(() => {
    if (!allowed) return
    const onKey = (event: KeyboardEvent) => {
      if (!isToggleKey(event)) return
      event.preventDefault()
      setOpen((was) => !was)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [allowed])
  return [allowed && open, setOpen]
}
