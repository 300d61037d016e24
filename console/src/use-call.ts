/**
 * Loads data from a call when a panel shows and when its inputs change,
 * keeping the last answer, the error and whether a call is running. A newer
 * call's answer always wins over an older one that finishes later.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeError, type ShownError } from "./errors.js";

/** What a panel renders from a call. */
export interface CallState<T> {
  readonly data: T | null;
  readonly error: ShownError | null;
  readonly loading: boolean;
  /** Calls again with the same inputs. */
  readonly reload: () => void;
}

/** Runs `call` now and whenever `deps` change. */
export function useCall<T>(call: () => Promise<T>, deps: readonly unknown[]): CallState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const run = useCallback(call, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    run().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(describeError(err));
        setLoading(false);
      },
    );
  }, [run]);
  useEffect(reload, [reload]);
  return { data, error, loading, reload };
}
