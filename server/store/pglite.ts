// Creating a PGlite instance with WebAssembly modules compiled once per process.
//
// Left to itself, PGlite compiles pglite.wasm at every open, and V8 frees that code when the instance
// is collected. Opening and closing many instances in one process (a server that reopens its store,
// a test run) churns V8's registry of executable pages, which in Node 22 to 26 can abort the whole
// process on a failed internal check (nodejs/node#64500: "Check failed: jit_page ..."). Sharing one
// compiled module keeps that code alive and allocated once; it also spares each later open the
// compile.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PGliteOptions } from "@electric-sql/pglite";

type WasmModule = NonNullable<PGliteOptions["pgliteWasmModule"]>;
// The ES2023 library has no WebAssembly types (they come with the DOM's); this is the one call used.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

const compiled = new Map<string, Promise<WasmModule>>();

function compiledModule(fileName: "pglite.wasm" | "initdb.wasm"): Promise<WasmModule> {
  let module = compiled.get(fileName);
  if (!module) {
    const file = path.join(path.dirname(require.resolve("@electric-sql/pglite")), fileName);
    module = fs.promises.readFile(file).then((bytes) => WebAssembly.compile(bytes));
    // A failed compile (a file being replaced by npm, say) is retried at the next open.
    module.catch(() => compiled.delete(fileName));
    compiled.set(fileName, module);
  }
  return module;
}

/**
 * PGlite over the cluster in `pgdata`, started with PGlite's own parameters and then `extraStartParams`.
 * initdb's module is compiled only for a folder that holds no cluster yet: every later open skips it.
 */
export async function createPglite(pgdata: string, extraStartParams: string[] = []) {
  const { PGlite } = await import("@electric-sql/pglite");
  const needsInitdb = !fs.existsSync(path.join(pgdata, "PG_VERSION"));
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    compiledModule("pglite.wasm"),
    needsInitdb ? compiledModule("initdb.wasm") : undefined,
  ]);
  return PGlite.create(pgdata, {
    pgliteWasmModule,
    ...(initdbWasmModule ? { initdbWasmModule } : {}),
    startParams: [...PGlite.defaultStartParams, ...extraStartParams],
  });
}
