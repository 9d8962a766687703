// The provider's connection to the control plane, from stack config (`tenancy:endpoint`,
// `tenancy:token`, `tenancy:retryTimeout`) through configure, else TENANCY_ENDPOINT / TENANCY_TOKEN,
// else the embedded store in ./.tenancy. It lives in this module, loaded by the provider process at
// run time, so no credential is ever part of the serialized provider in the state.
import type * as pulumi from "@pulumi/pulumi";
import type { TenancyClient } from "../client";
import { createClient } from "./connect";

/** The `tenancy:*` stack config keys the provider reads. */
export const configKeys = ["endpoint", "token", "retryTimeout"] as const;

interface Settings {
  endpoint?: string;
  token?: string;
  retryTimeoutMs?: number;
}

let settings: Settings = {};
let current: TenancyClient | undefined;
// A configuration that was refused stays refused: the host caches the provider object even when
// configure throws, and a later call must not fall back to the default store.
let refused: Error | undefined;

export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  let next: Settings;
  try {
    next = settingsFrom(req.config);
    refused = undefined;
  } catch (err) {
    refused = err as Error;
    throw err;
  }
  if (
    current &&
    (next.endpoint !== settings.endpoint ||
      next.token !== settings.token ||
      next.retryTimeoutMs !== settings.retryTimeoutMs)
  ) {
    await current.close();
    current = undefined;
  }
  settings = next;
}

/** Reads and checks the stack config: an unknown `tenancy:*` key is an error naming the nearest. */
export function settingsFrom(config: pulumi.dynamic.Config): Settings {
  // The host's Config keeps every key of the stack in `rawConfig`; its type shows only get/require.
  const raw = (config as { rawConfig?: Record<string, unknown> }).rawConfig ?? {};
  for (const key of Object.keys(raw)) {
    const [namespace, name = ""] = key.split(":");
    if (namespace !== "tenancy" || (configKeys as readonly string[]).includes(name)) continue;
    throw new Error(
      `unknown stack config key ${key}: did you mean tenancy:${nearest(name, configKeys)}? ` +
        `(tenancy reads ${configKeys.map((k) => `tenancy:${k}`).join(", ")})`,
    );
  }
  const endpoint = config.get("tenancy:endpoint");
  const token = config.get("tenancy:token");
  const retryTimeout = config.get("tenancy:retryTimeout");
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(token ? { token } : {}),
    ...(retryTimeout !== undefined ? { retryTimeoutMs: secondsToMs(retryTimeout) } : {}),
  };
}

/** The candidate with the smallest edit distance to `word`. */
function nearest(word: string, candidates: readonly string[]): string {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        const substitution = row[j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1);
        next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, substitution));
      }
      row = next;
    }
    return row[b.length]!;
  };
  return candidates.reduce((best, c) => (distance(word, c) < distance(word, best) ? c : best));
}

/** `tenancy:retryTimeout`: seconds, a whole number of at least 0. */
function secondsToMs(text: string): number {
  const seconds = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seconds)) {
    throw new Error(`tenancy:retryTimeout must be a whole number of seconds, not '${text}'`);
  }
  return seconds * 1000;
}

/** Closes the client in use, if any (the embedded store with it). */
export async function closeClient(): Promise<void> {
  const closing = current;
  current = undefined;
  await closing?.close();
}

/** The client every provider operation uses, created on first use. */
export function client(): TenancyClient {
  if (refused) throw refused;
  current ??= createClient(settings);
  return current;
}
