// The lint checks that keep the architecture and the API description honest fail when they should:
// an import against the layers' arrows, and an OpenAPI document with an error.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { openApiDocument } from "../../../server/http/openapi";
import { routes } from "../../../server/http/routes";
import { repoRoot, run } from "../../../scripts/harness";

const bin = (name: string) => path.join(repoRoot, "node_modules", ".bin", name);

describe("lint rules", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), "tenancy-lint-"))));
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  async function cruise(files: Record<string, string>) {
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await fs.writeFile(path.join(dir, file), text);
    }
    await fs.copyFile(
      path.join(repoRoot, ".dependency-cruiser.cjs"),
      path.join(dir, ".dependency-cruiser.cjs"),
    );
    await fs.writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true } }),
    );
    const layers = Object.keys(files).map((f) => f.split("/")[0]!);
    return run(bin("depcruise"), [...new Set(layers), "--config", ".dependency-cruiser.cjs"], { cwd: dir });
  }

  it("refuses an import that points up the layers", async () => {
    const result = await cruise({
      "server/service.ts": 'import { client } from "../provider/config";\nexport const service = client;\n',
      "provider/config.ts": "export const client = 1;\n",
    });
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /server-imports-only-model: server\/service\.ts → provider\/config\.ts/);
  });

  it("refuses an import of the CLI from a layer", async () => {
    const result = await cruise({
      "sdk/index.ts": 'import { main } from "../cli/main";\nexport const run = main;\n',
      "cli/main.ts": "export const main = 1;\n",
    });
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /nothing-imports-cli: sdk\/index\.ts → cli\/main\.ts/);
  });

  it("accepts the layers as they point", async () => {
    const result = await cruise({
      "model/names.ts": "export const name = 1;\n",
      "client/api.ts": 'import { name } from "../model/names";\nexport const api = name;\n',
      "cli/main.ts": 'import { api } from "../client/api";\nexport const main = api;\n',
    });
    assert.equal(result.code, 0, result.output);
  });

  it("passes the served OpenAPI document and fails one with an error", async () => {
    await fs.copyFile(path.join(repoRoot, "redocly.yaml"), path.join(dir, "redocly.yaml"));
    const document = openApiDocument(routes, "1.0.0");
    const lint = (file: string) =>
      run(bin("redocly"), ["lint", "--format", "stylish", file], {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      });
    await fs.writeFile(path.join(dir, "good.json"), JSON.stringify(document));
    const good = await lint("good.json");
    assert.equal(good.code, 0, good.output);
    assert.doesNotMatch(good.output, /warning/i);

    // A path parameter the operation does not declare is an error under the recommended rules.
    const broken = structuredClone(document) as {
      paths: Record<string, Record<string, { parameters: unknown[] }>>;
    };
    broken.paths["/v1/domains/{domain}"]!.get!.parameters = [];
    await fs.writeFile(path.join(dir, "broken.json"), JSON.stringify(broken));
    const bad = await lint("broken.json");
    assert.notEqual(bad.code, 0, bad.output);
    assert.match(bad.output, /path-parameters-defined/);
  });
});
