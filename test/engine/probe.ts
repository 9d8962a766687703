// Helpers for the tests that drive the probe program (test/engine/programs/probe).
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { TestStack } from "../../scripts/harness";

export const probeType = "pulumi-nodejs:dynamic/tenancy:Probe";
export const canary = "canary-7f3c9e1a-do-not-leak";

export function probeConfig(
  stack: { root: string },
  items: Record<string, string>,
  extra: Record<string, string> = {},
) {
  return {
    "probe:storeDir": path.join(stack.root, "store"),
    "probe:items": JSON.stringify(items),
    ...extra,
  };
}

export async function setConfig(stack: TestStack, values: Record<string, string>) {
  for (const [key, value] of Object.entries(values)) await stack.pulumiOk(["config", "set", key, value]);
}

export async function storedRecord(
  stack: TestStack,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(stack.root, "store", `${name}.json`), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
