// Pages refresh themselves: each reads its data now and again every few seconds while it is shown,
// and at once after the page changed something (`reload`).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { session } from "./session";

export const refreshSeconds = 5;

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  /** When the data shown was read. */
  at?: Date;
}

export function usePolled<T>(
  load: () => Promise<T>,
  key: string,
  every = refreshSeconds,
): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({});
  const readNow = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A read that started before a newer one (a reload during a poll) shows nothing when it ends.
    let latest = 0;
    setState({});
    const run = async () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const read = ++latest;
      try {
        const data = await load();
        if (!stopped && read === latest) setState({ data, at: new Date() });
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError(String(err), 0, "unavailable");
        if (error.status === 401) {
          session.signOut();
          location.reload();
          return;
        }
        // Keep what was shown; say why it is not fresh.
        if (!stopped) setState((previous) => ({ ...previous, error }));
      }
      if (!stopped && every > 0 && timer === undefined) timer = setTimeout(run, every * 1000);
    };
    readNow.current = () => void run();
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [key]);
  return { ...state, reload: () => readNow.current() };
}
