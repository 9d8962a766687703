// What the tests and the benchmarks share: commands, stacks on the real CLI, `tenancy serve`
// processes and a throwaway PostgreSQL cluster.
export { assertOk, repoRoot, run, type CommandResult, type RunOptions } from "./commands";
export { createDatabase, freePort, startPostgresCluster, type PostgresCluster } from "./postgres-cluster";
export * from "./pulumi-stack";
export { folderHolder, isAlive, processesIn, type RunningProcess } from "./processes";
export { serve, type ServeProcess } from "./serve-process";
export { launchBrowser, signIn } from "./browser";
export { startKubernetes, kubernetesBinaries, type KubernetesControlPlane } from "./kubernetes";
