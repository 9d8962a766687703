// tenancy sync as a process: one pass (--once), or a leader that keeps the cluster in step. The
// leader makes a full pass at start and every resync; between them a change in the control plane
// (the change feed) or a hand edit of what sync manages (its watches) starts a pass at once.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { TenancyClient } from "../client";
import { TenancyError, statusBatchLimit } from "../model";
import {
  describeKubeError,
  identityOf,
  isUnreachable,
  managedKinds,
  statusOf,
  type KubeClient,
} from "./kube";
import type { KubeObject } from "./render";
import { leaseElector, renewEveryMs } from "./lease";
import type { SyncOptions } from "./options";
import { runPass, type EnvironmentOutcome, type PassResult } from "./pass";

export interface SyncLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface SyncDeps {
  api: TenancyClient;
  kube: KubeClient;
  options: SyncOptions;
  log: SyncLog;
}

/** What --once exits with: 0 all synced, 1 a conflict or an error, 2 nothing could be reached. */
export const exitCodes = { synced: 0, failed: 1, unreachable: 2 } as const;

/** The last status reported of each environment, so a pass reports only what changed. */
type Reported = Map<string, string>;

/** Reports what changed in a pass, and drops the reports of what it released: one request for up
 * to statusBatchLimit environments, so a pass asks the control plane the same few times however
 * many environments it keeps. */
async function report(deps: SyncDeps, result: PassResult, reported: Reported) {
  const { api, options } = deps;
  const syncedAt = new Date().toISOString();
  const changed = result.environments.filter((env) => {
    const before = reported.get(keyOf(env)) ?? (env.reported ? stateOf(env.reported) : undefined);
    return before !== stateOf(env) || env.writes > 0;
  });
  const environments = changed.map((env) => ({
    project: env.project,
    environment: env.environment,
    phase: env.phase,
    syncedVersion: Math.max(1, result.revision),
    syncedAt,
    ...(env.message !== undefined ? { message: env.message } : {}),
    ...(env.usage !== undefined ? { usage: env.usage } : {}),
  }));
  const released = result.released;
  for (let at = 0; at < Math.max(environments.length, released.length); at += statusBatchLimit) {
    const answer = await api.clusters.reportStatuses(options.cluster, {
      environments: environments.slice(at, at + statusBatchLimit),
      released: released.slice(at, at + statusBatchLimit),
    });
    for (const skipped of answer.skipped) deps.log.warn(skipped, "status not recorded");
  }
  for (const env of changed) reported.set(keyOf(env), stateOf(env));
  for (const gone of released) reported.delete(keyOf(gone));
}

const keyOf = (env: { project: string; environment: string }) => `${env.project}/${env.environment}`;

/** A reported state, comparable whatever the order of its keys. */
function stateOf(state: { phase: string; message?: string; usage?: object }): string {
  const usage = state.usage ? Object.entries(state.usage).sort(([a], [b]) => a.localeCompare(b)) : undefined;
  return JSON.stringify([state.phase, state.message ?? null, usage ?? null]);
}

/** What of an object an edit can change, without its status and bookkeeping. */
function contentOf(object: KubeObject): string {
  const { metadata, status: _status, ...rest } = object;
  return JSON.stringify([metadata.labels, metadata.annotations, rest]);
}

function failedOf(environments: EnvironmentOutcome[]) {
  return environments.filter((env) => env.phase !== "synced");
}

/** Whether an error means the cluster or the control plane could not be reached. */
function unreachable(err: unknown): boolean {
  if (TenancyError.isInstance(err)) return err.code === "unavailable" || err.code === "internal";
  return isUnreachable(err);
}

/** How long after a binding's expiry its pass runs: the control plane's clock decides whether it
 * has expired, and may run a little behind this one. */
export const expiryMarginMs = 1_000;

/** When to make the pass that removes a binding expiring at `expiresAt`: just after it, at once
 * when the control plane still gave one this clock says has expired (their clocks differ), and
 * never later than the next full pass, which reads the bindings again anyway. */
export function expiryDelayMs(expiresAt: number, now: number, resyncMs: number): number {
  return Math.min(Math.max(expiresAt - now, 0) + expiryMarginMs, resyncMs);
}

const passAttemptsWhenBusy = 5;

/** One pass; with dryRun, prints what it would write and writes nothing. */
export async function syncOnce(deps: SyncDeps, print: (line: string) => void): Promise<number> {
  let result: PassResult;
  for (let attempt = 1; ; attempt++) {
    try {
      result = await runPass(deps);
      break;
    } catch (err) {
      // The apiserver asks to be asked again (429 while its storage initializes, 503): a pass only
      // applies what it would apply anyway, so it runs again, a few times.
      const busy = statusOf(err) === 429 || statusOf(err) === 503;
      if (busy && attempt < passAttemptsWhenBusy) {
        deps.log.warn({ err: describe(err), attempt }, "the apiserver asked to retry: another pass");
        await new Promise((resolve) => setTimeout(resolve, attempt * 1000));
        continue;
      }
      deps.log.error({ err: describe(err) }, "sync pass failed");
      return unreachable(err) ? exitCodes.unreachable : exitCodes.failed;
    }
  }
  if (deps.options.dryRun) {
    for (const write of result.writes) print(`${write.action} ${write.object}`);
    print(`${result.writes.length} write(s) planned for ${result.environments.length} environment(s)`);
  } else {
    try {
      await report(deps, result, new Map());
    } catch (err) {
      deps.log.error({ err: describe(err) }, "reporting status failed");
      return unreachable(err) ? exitCodes.unreachable : exitCodes.failed;
    }
  }
  for (const env of failedOf(result.environments)) {
    deps.log.warn(
      { project: env.project, environment: env.environment, phase: env.phase },
      env.message ?? env.phase,
    );
  }
  deps.log.info(
    { environments: result.environments.length, writes: result.writes.length, revision: result.revision },
    "sync pass done",
  );
  return failedOf(result.environments).length > 0 ? exitCodes.failed : exitCodes.synced;
}

function describe(err: unknown): string {
  return TenancyError.isInstance(err) ? `${err.code}: ${err.message}` : describeKubeError(err);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Keeps the cluster in step until `signal` aborts. */
export async function syncForever(deps: SyncDeps, signal: AbortSignal): Promise<void> {
  const { kube, options, log } = deps;
  const identity = `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
  const elector = leaseElector(kube, options.leaseNamespace, options.cluster, identity);
  while (!signal.aborted) {
    let leading = false;
    try {
      leading = await elector.tryLead();
    } catch (err) {
      log.warn({ err: describe(err) }, "cannot reach the cluster for the lease");
    }
    if (!leading) {
      await sleep(renewEveryMs, signal);
      continue;
    }
    log.info({ identity, cluster: options.cluster }, "leading");
    const term = new AbortController();
    const stop = () => term.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await lead(deps, identity, term.signal, async () => {
        try {
          return await elector.tryLead();
        } catch {
          return false;
        }
      });
    } finally {
      signal.removeEventListener("abort", stop);
      term.abort();
    }
    if (signal.aborted) await elector.release();
    else log.warn({ identity }, "lost the lease: no longer writing");
  }
}

/** The leader's term: passes, the feed, the watches, the lease's renewal, until the lease is lost
 * or `signal` aborts. */
async function lead(deps: SyncDeps, identity: string, signal: AbortSignal, renew: () => Promise<boolean>) {
  const { api, kube, options, log } = deps;
  const reported: Reported = new Map();
  const written = new Set<string>();
  const seen = new Map<string, string>();
  let revision: number | undefined;
  let wanted = true;
  let wake: (() => void) | undefined;
  const request = () => {
    wanted = true;
    wake?.();
  };

  // A pass when the first rendered binding expires: the snapshot then leaves it out.
  let expiryTimer: NodeJS.Timeout | undefined;
  const passAtExpiry = (nextExpiry: number | undefined) => {
    clearTimeout(expiryTimer);
    expiryTimer = undefined;
    if (nextExpiry === undefined) return;
    const delayMs = expiryDelayMs(nextExpiry, Date.now(), options.resyncSeconds * 1000);
    // A pass left over from a term that has ended must not keep the process alive.
    expiryTimer = setTimeout(request, delayMs).unref();
  };

  const passes = (async () => {
    let backoffMs = 500;
    while (!signal.aborted) {
      if (!wanted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = undefined;
        continue;
      }
      wanted = false;
      try {
        const result = await runPass({
          ...deps,
          onWrite: (_write, object) => {
            if (written.size > 10_000) written.clear();
            if (object?.metadata.resourceVersion) written.add(object.metadata.resourceVersion);
          },
        });
        if (signal.aborted) break;
        passAtExpiry(result.nextExpiry);
        await report(deps, result, reported);
        await api.clusters.heartbeat(options.cluster, { leader: identity });
        revision ??= result.revision;
        const writes = result.writes.length;
        if (writes > 0) log.info({ writes, revision: result.revision }, "sync pass wrote");
        backoffMs = 500;
      } catch (err) {
        log.warn({ err: describe(err), retryInMs: backoffMs }, "sync pass failed");
        wanted = true;
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  })();

  // The change feed: each change the token may read starts a pass.
  const feed = (async () => {
    let backoffMs = 500;
    while (!signal.aborted) {
      if (revision === undefined) {
        await sleep(100, signal);
        continue;
      }
      try {
        const page = await api.changes.list({ after: revision, wait: 30 });
        if (signal.aborted) break;
        revision = page.revision;
        if (page.changes.length > 0) request();
        backoffMs = 500;
      } catch (err) {
        if (TenancyError.isInstance(err) && err.code === "gone" && err.options.revision !== undefined) {
          revision = err.options.revision;
          request();
          continue;
        }
        log.warn({ err: describe(err), retryInMs: backoffMs }, "following the change feed failed");
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  })();

  // Watches on what sync manages: an edit or deletion not made by sync starts a pass.
  const watches = managedKinds.map((kind) =>
    (async () => {
      while (!signal.aborted) {
        const ended = new Promise<void>((resolve) => {
          kube
            .watch(
              kind,
              (type, object) => {
                const id = identityOf(object);
                const content = contentOf(object);
                const before = seen.get(id);
                seen.set(id, content);
                if (type === "ADDED" || written.has(object.metadata.resourceVersion ?? "")) return;
                // Status updates (a quota's use) are the cluster's, not edits.
                if (type === "MODIFIED" && before === content) return;
                if (type === "DELETED") seen.delete(id);
                request();
              },
              () => resolve(),
            )
            .then((controller) => signal.addEventListener("abort", () => controller.abort(), { once: true }))
            .catch(() => resolve());
        });
        await ended;
        await sleep(1_000, signal);
      }
    })(),
  );

  const resync = setInterval(request, options.resyncSeconds * 1000);
  try {
    while (!signal.aborted) {
      await sleep(renewEveryMs, signal);
      if (signal.aborted) break;
      if (!(await renew())) break;
      await api.clusters.heartbeat(options.cluster, { leader: identity }).catch(() => undefined);
    }
  } finally {
    clearInterval(resync);
    clearTimeout(expiryTimer);
  }
  // The caller aborts the term; wait for what was in flight.
  wake?.();
  void Promise.allSettled([passes, feed, ...watches]);
}
