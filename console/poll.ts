// Pages refresh themselves: each reads its data now and again every few seconds while it is shown.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";
import { session } from "./session";

export const refreshSeconds = 5;

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  /** When the data shown was read. */
  at?: Date;
}

export function usePolled<T>(load: () => Promise<T>, key: string, every = refreshSeconds): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({});
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const run = async () => {
      try {
        const data = await load();
        if (!stopped) setState({ data, at: new Date() });
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
      if (!stopped && every > 0) timer = setTimeout(run, every * 1000);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [key]);
  return state;
}
