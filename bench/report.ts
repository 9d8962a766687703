// The report every bench part writes into: the targets table RESULTS.md opens with, the figures'
// helpers, and the file a run saves as it goes.
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../scripts/harness";
import { allParts, parts } from "./settings";

/** Every figure with a target, its floor, the ratio and whether it is met: the table RESULTS.md
 * opens with. */
export const summary: string[] = [];
export function target(
  figure: string,
  measured: string,
  floor: string,
  ratio: number | undefined,
  goal: string,
  met: boolean,
) {
  summary.push(
    `| ${figure} | ${measured} | ${floor} | ${ratio === undefined ? "" : ratio.toFixed(2)} | ${goal} | ${met ? "met" : "**missed**"} |`,
  );
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
export const spread = (xs: number[], digits = 1) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

export async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await body();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

export const resultsFile = path.join(
  repoRoot,
  parts.length === allParts.length ? "bench/RESULTS.md" : `bench/RESULTS-${parts.join("-")}.md`,
);

/** Writes what is measured so far, so a long run that fails late still leaves its figures. */
export function save(lines: string[]) {
  const [title, blank, recorded, machine, ...rest] = lines;
  const table = [
    "## Targets",
    "",
    "Every figure with a target, from this run: the floor is what the same work costs without tenancy (pgbench running the same statements; the engine with no-op resources).",
    "",
    "| figure | measured | floor | ratio | target | status |",
    "|---|---|---|---|---|---|",
    ...summary,
    "",
  ];
  fs.writeFileSync(
    resultsFile,
    [title, blank, recorded, machine, "", ...table, ...rest.slice(1)].join("\n") + "\n",
  );
}
