// Live data without reloading: poll an API read on an interval, pause while the tab is hidden,
// keep the last good value through a failed poll.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  refresh: () => void;
}

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], intervalMs: number | (() => number)): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const tick = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setData(undefined);
    setError(undefined);
    const run = async () => {
      clearTimeout(timer);
      try {
        const v = await load();
        if (stopped) return;
        setData(v);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(err as Error);
      }
      if (stopped) return;
      const every = typeof intervalMs === 'function' ? intervalMs() : intervalMs;
      if (every > 0) timer = setTimeout(() => void (document.hidden ? schedule() : run()), every);
    };
    const schedule = () => {
      timer = setTimeout(() => void (document.hidden ? schedule() : run()), 1000);
    };
    tick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  const refresh = useCallback(() => tick.current(), []);
  return { data, error, refresh };
}

/** Re-render every `ms` (running durations, "3s ago"). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
