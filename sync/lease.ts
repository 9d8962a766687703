// Leader election among the sync processes of one cluster: a coordination.k8s.io Lease
// `tenancy-sync-<cluster>`. The holder renews it every few seconds; a candidate takes it once it
// has gone unrenewed for its duration. Writes use the Lease's resourceVersion, so two candidates
// never both win.
import { CoordinationV1Api, CoreV1Api, V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import type { KubeClient } from "./kube";
import { statusOf } from "./kube";

export const leaseDurationSeconds = 15;
/** How often the holder renews and a candidate tries. */
export const renewEveryMs = 5_000;

export function leaseName(cluster: string) {
  return `tenancy-sync-${cluster}`;
}

export function leaseElector(kube: KubeClient, namespace: string, cluster: string, identity: string) {
  const leases = kube.config.makeApiClient(CoordinationV1Api);
  const core = kube.config.makeApiClient(CoreV1Api);
  const name = leaseName(cluster);

  async function ensureNamespace() {
    try {
      await core.readNamespace({ name: namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await core.createNamespace({ body: { metadata: { name: namespace } } });
      } catch (created) {
        if (statusOf(created) !== 409) throw created;
      }
    }
  }

  const now = () => new V1MicroTime(Date.now());
  const spec = (lease?: V1Lease) => ({
    holderIdentity: identity,
    leaseDurationSeconds,
    renewTime: now(),
    acquireTime: lease?.spec?.holderIdentity === identity ? lease.spec.acquireTime : now(),
    leaseTransitions:
      (lease?.spec?.leaseTransitions ?? 0) + (lease?.spec?.holderIdentity === identity || !lease ? 0 : 1),
  });

  return {
    /** Takes or renews the Lease; true while this process holds it. */
    async tryLead(): Promise<boolean> {
      let lease: V1Lease | undefined;
      try {
        lease = await leases.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      if (!lease) {
        await ensureNamespace();
        try {
          await leases.createNamespacedLease({
            namespace,
            body: { metadata: { name, namespace }, spec: spec() },
          });
          return true;
        } catch (err) {
          if (statusOf(err) === 409) return false; // another candidate made it first
          throw err;
        }
      }
      const holder = lease.spec?.holderIdentity;
      const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
      const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      const free = !holder || holder === identity || Date.now() > renewed + duration;
      if (!free) return false;
      try {
        await leases.replaceNamespacedLease({
          name,
          namespace,
          body: { metadata: { ...lease.metadata, name, namespace }, spec: spec(lease) },
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false; // someone else wrote it since we read it
        throw err;
      }
    },
    /** Gives the Lease up on a clean exit, so another process takes over at once. */
    async release(): Promise<void> {
      try {
        const lease = await leases.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity !== identity) return;
        await leases.replaceNamespacedLease({
          name,
          namespace,
          body: {
            metadata: lease.metadata,
            spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined },
          },
        });
      } catch {
        // Unreachable or taken: the Lease expires on its own.
      }
    },
  };
}
