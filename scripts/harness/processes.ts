// The processes a command left behind: found by the folder they run in (Linux: /proc/<pid>/cwd), or
// by the pid an embedded folder's lock names.
import * as fs from "node:fs";
import * as path from "node:path";

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

/** Whether a process with this pid is running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid an embedded store's folder is locked by, or undefined when nothing holds it. */
export function folderHolder(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "tenancy.lock"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
