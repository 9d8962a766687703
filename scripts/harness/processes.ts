// The processes a command left behind, found by the folder they run in (Linux: /proc/<pid>/cwd).
import * as fs from "node:fs";

export interface RunningProcess {
  pid: number;
  command: string;
}

/** The processes whose working folder is `dir`, with their command lines. */
export function processesIn(dir: string): RunningProcess[] {
  const found: RunningProcess[] = [];
  for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readlinkSync(`/proc/${entry}/cwd`) !== dir) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // ended while listed, or not ours to read
    }
  }
  return found;
}
