// The provider's connection to the control plane, from stack config (`tenancy:endpoint`,
// `tenancy:token`) through configure, else TENANCY_ENDPOINT / TENANCY_TOKEN, else the embedded
// store in ./.tenancy. It lives in this module, loaded by the provider process at run time, so no
// credential is ever part of the serialized provider in the state.
import type * as pulumi from "@pulumi/pulumi";
import type { TenancyClient } from "../client";
import { createClient } from "./connect";

let settings: { endpoint?: string; token?: string; retryTimeoutMs?: number } = {};
let current: TenancyClient | undefined;

export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  const endpoint = req.config.get("tenancy:endpoint");
  const token = req.config.get("tenancy:token");
  const retryTimeout = req.config.get("tenancy:retryTimeout");
  const next = {
    ...(endpoint ? { endpoint } : {}),
    ...(token ? { token } : {}),
    ...(retryTimeout !== undefined ? { retryTimeoutMs: secondsToMs(retryTimeout) } : {}),
  };
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

/** `tenancy:retryTimeout`: seconds, a whole number of at least 0. */
function secondsToMs(text: string): number {
  const seconds = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seconds)) {
    throw new Error(`tenancy:retryTimeout must be a whole number of seconds, not '${text}'`);
  }
  return seconds * 1000;
}

/** The client every provider operation uses, created on first use. */
export function client(): TenancyClient {
  current ??= createClient(settings);
  return current;
}
