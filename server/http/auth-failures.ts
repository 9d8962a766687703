// Failed authentications counted per client address. Past the limit an address is refused before
// its token is even looked up, so guessing tokens costs the guesser a 429, not the database a query.

export interface AuthFailureLimit {
  /** Failed authentications one address may make per window before it is refused (default 30). */
  max: number;
  windowMs: number;
}

export const defaultAuthFailureLimit: AuthFailureLimit = { max: 30, windowMs: 60_000 };

export function authFailureTracker(limit: AuthFailureLimit, now: () => number = Date.now) {
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (address: string) => {
    const entry = windows.get(address);
    if (entry && now() - entry.start < limit.windowMs) return entry;
    windows.delete(address);
    return undefined;
  };
  return {
    /** Seconds to wait when the address is over its limit, else undefined. */
    blockedFor(address: string): number | undefined {
      const entry = current(address);
      if (!entry || entry.failures < limit.max) return undefined;
      return Math.max(1, Math.ceil((entry.start + limit.windowMs - now()) / 1000));
    },
    recordFailure(address: string): void {
      const entry = current(address) ?? { start: now(), failures: 0 };
      entry.failures++;
      windows.set(address, entry);
      // Forget finished windows now and then, so the map stays as large as the addresses failing now.
      if (windows.size > 10_000) for (const key of [...windows.keys()]) current(key);
    },
  };
}
