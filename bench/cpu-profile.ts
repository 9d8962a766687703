// What the profiling benches share: CPU time of a process from /proc, and node's CPU profiles
// (`--cpu-prof`) summed by self time.
import * as fs from "node:fs";

const statFields = (pid: number | "self") =>
  fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ").map(Number);

/** CPU time a process has used, user and system, in clock ticks (100 per second on Linux). */
export function cpuTicks(pid: number): number {
  const fields = statFields(pid);
  return fields[11]! + fields[12]!;
}

/** CPU time a process's finished children have used, once it has waited for them, in ticks. */
export function childrenTicks(pid: number | "self" = "self"): number {
  const fields = statFields(pid);
  return fields[13]! + fields[14]!;
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds of self time per profile node that was sampled. */
export function selfTimes(profile: CpuProfile): { node: ProfileNode; micros: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return [...self].map(([id, micros]) => ({ node: byId.get(id)!, micros }));
}

/** Sums self time by the key `classify` gives each node, largest first. */
export function sumBy(
  times: { node: ProfileNode; micros: number }[],
  classify: (node: ProfileNode) => string,
): [string, number][] {
  const sums = new Map<string, number>();
  for (const { node, micros } of times) sums.set(classify(node), (sums.get(classify(node)) ?? 0) + micros);
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/** Names the component a profile node's code belongs to: V8's own entries by name, the rest by the
 * first of `components` whose pattern matches the node's script URL. */
export function componentClassifier(components: [string, RegExp][], idle: string) {
  return (node: ProfileNode): string => {
    const { functionName, url } = node.callFrame;
    if (functionName === "(idle)") return idle;
    if (functionName === "(garbage collector)") return "garbage collection";
    if (functionName === "(program)") return "V8 and native code";
    return components.find(([, pattern]) => pattern.test(url))?.[0] ?? "other";
  };
}
