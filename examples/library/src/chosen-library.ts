import type { Space } from '@tidings/client'
import { useCallback, useEffect, useRef, useState } from 'react'

/**
 * The shared library on screen (null: My library) and the name of one the user just lost (left,
 * or removed by an owner): it then falls back to My library. A library only counts as lost once
 * it was in the list, since a new or joined one may be chosen before the list shows it.
 */
export function useChosenLibrary(shared: Space[]) {
  const [chosen, setChosen] = useState<string | null>(null)
  const [lost, setLost] = useState<string | null>(null)
  const seen = useRef<Space | null>(null)
  const current = shared.find((space) => space.id === chosen) ?? null
  useEffect(() => {
    if (current) seen.current = current
    else if (chosen !== null && seen.current?.id === chosen) {
      setLost(seen.current.name)
      setChosen(null)
      seen.current = null
    }
  }, [current, chosen])
  const choose = useCallback((space: string | null) => {
    setChosen(space)
    setLost(null)
  }, [])
  return { current, choose, lost }
}
