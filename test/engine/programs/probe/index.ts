// A dynamic resource whose records are JSON files in a folder named by stack config, so the tests can
// look at (and tamper with) what the provider stored. Config:
//   probe:storeDir   folder of the records (required)
//   probe:token      a secret the provider only fingerprints, to show configure receives secrets
//   probe:items      JSON object name -> message: one Probe each
//   probe:importIds  JSON array of names adopted with the `import` resource option
import * as pulumi from "@pulumi/pulumi";

interface ProbeInputs {
  name: string;
  message: string;
}

interface ProbeOutputs extends ProbeInputs {
  revision: number;
  tokenFingerprint: string;
}

interface Configured {
  storeDir?: string;
  tokenFingerprint?: string;
}

const provider: pulumi.dynamic.ResourceProvider<ProbeInputs, ProbeOutputs> & Configured = {
  async configure(req) {
    this.storeDir = req.config.require("probe:storeDir");
    const token = req.config.get("probe:token") ?? "";
    this.tokenFingerprint = require("node:crypto")
      .createHash("sha256")
      .update(token)
      .digest("hex")
      .slice(0, 16);
  },
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!/^[a-z][a-z0-9-]*$/.test(String(news.name))) {
      failures.push({
        property: "name",
        reason: `name ${JSON.stringify(news.name)} must be a lowercase slug`,
      });
    }
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    const replaces = olds.name !== news.name ? ["name"] : [];
    return {
      changes: replaces.length > 0 || olds.message !== news.message,
      replaces,
      deleteBeforeReplace: true,
    };
  },
  async create(inputs) {
    const record = { ...inputs, revision: 1, tokenFingerprint: this.tokenFingerprint ?? "" };
    write(this.storeDir!, record);
    return { id: inputs.name, outs: record };
  },
  async read(id): Promise<pulumi.dynamic.ReadResult> {
    const record = load(this.storeDir!, id);
    if (record === undefined) return { id: "" };
    // The inputs are what the program would have declared, so an import compares like for like.
    return { id, props: record, inputs: { name: record.name, message: record.message } };
  },
  async update(_id, olds, news) {
    const record = { ...news, revision: olds.revision + 1, tokenFingerprint: this.tokenFingerprint ?? "" };
    write(this.storeDir!, record);
    return { outs: record };
  },
  async delete(id) {
    require("node:fs").rmSync(require("node:path").join(this.storeDir!, `${id}.json`), { force: true });
  },
};

function write(dir: string, record: ProbeOutputs) {
  const fs = require("node:fs");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(require("node:path").join(dir, `${record.name}.json`), JSON.stringify(record));
}

function load(dir: string, id: string): ProbeOutputs | undefined {
  const file = require("node:path").join(dir, `${id}.json`);
  const fs = require("node:fs");
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

class Probe extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly message: pulumi.Output<string>;
  declare readonly revision: pulumi.Output<number>;
  declare readonly tokenFingerprint: pulumi.Output<string>;

  constructor(name: string, args: ProbeInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, revision: undefined, tokenFingerprint: undefined },
      opts,
      "tenancy",
      "Probe",
    );
  }
}

const config = new pulumi.Config("probe");
const items = config.requireObject<Record<string, string>>("items");
const importIds = new Set(config.getObject<string[]>("importIds") ?? []);

export const probes: Record<string, pulumi.Output<ProbeOutputs>> = {};
for (const [name, message] of Object.entries(items)) {
  const probe = new Probe(name, { name, message }, importIds.has(name) ? { import: name } : {});
  probes[name] = pulumi
    .all([probe.name, probe.message, probe.revision, probe.tokenFingerprint])
    .apply(([n, m, revision, tokenFingerprint]) => ({ name: n, message: m, revision, tokenFingerprint }));
}
