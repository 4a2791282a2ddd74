'use client';

import { useEffect, useRef, useState } from 'react';

/**
 * `value` once it has stopped changing for `ms`. Values are compared by content (JSON), so an
 * object built afresh on every render debounces once instead of restarting its timer, and setting
 * it, on every render.
 */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  const latest = useRef(value);
  latest.current = value;
  const key = JSON.stringify(value) ?? 'undefined';
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(latest.current), ms);
    return () => clearTimeout(timer);
  }, [key, ms]);
  return debounced;
}
