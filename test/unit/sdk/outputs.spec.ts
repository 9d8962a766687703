// Every output a resource class declares is an Output, also when the argument it echoes is left
// out: `project.labels.apply(…)` must not fail on undefined. The names are the kinds registry's
// inputs and outputs and those the classes' sources declare, so a new output is covered without
// listing it here.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { kindRegistry, type KindName } from "../../../model";
import * as tenancy from "../../../sdk";

const sdkDir = path.join(__dirname, "../../../sdk");

/** Each class's minimal arguments, and the file it is declared in. */
const minimal: [keyof typeof tenancy, string, object][] = [
  ["Domain", "domain.ts", { name: "qa", tier: "non-production" }],
  ["Project", "project.ts", { name: "web" }],
  ["Cluster", "cluster.ts", { name: "eu-west" }],
  ["Environment", "environment.ts", { project: "web", domain: "qa" }],
  ["Quota", "quota.ts", { project: "web", environment: "qa" }],
  ["ResourceDefaults", "resource-defaults.ts", { project: "web", environment: "qa" }],
  ["RoleBinding", "role-binding.ts", { project: "web", subject: "team:dev", role: "viewer" }],
  [
    "SecretBinding",
    "secret-binding.ts",
    { project: "web", environment: "qa", name: "db", reference: "vault://db" },
  ],
  ["Team", "team.ts", { name: "dev" }],
  ["TeamMember", "team-member.ts", { team: "dev", subject: "user:ada" }],
  ["ApiToken", "api-token.ts", { name: "ci", subject: "service:ci" }],
];

function declaredOutputs(kind: KindName, file: string): string[] {
  const source = fs.readFileSync(path.join(sdkDir, file), "utf8");
  const declared = [...source.matchAll(/declare readonly (\w+):/g)].map((m) => m[1]!);
  const { inputs, outputs } = kindRegistry[kind];
  return [...new Set([...declared, ...inputs, ...outputs, "managedBy"])];
}

describe("SDK resource classes", () => {
  before(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
      },
      "tenancy-sdk",
      "test",
      false,
    ),
  );

  for (const [className, file, args] of minimal) {
    it(`${className}: every declared output is an Output with only the required arguments`, () => {
      const Resource = tenancy[className] as unknown as new (
        name: string,
        args: object,
      ) => Record<string, unknown>;
      const resource = new Resource(`sdk-${className.toLowerCase()}`, args);
      const outputs = declaredOutputs(className as KindName, file);
      assert.ok(outputs.length > 3, `${file} declares its outputs`);
      const missing = outputs.filter((name) => !pulumi.Output.isInstance(resource[name]));
      assert.deepEqual(missing, [], `${className} outputs that are not Outputs`);
    });
  }

  // The constructors turn stack traces off while the SDK registers the resource (a trace per
  // promise is most of its cost): the program's own limit must come back, also when it throws.
  for (const [className, , args] of minimal) {
    it(`${className}: gives the program its stack trace limit back, also when construction throws`, () => {
      const Resource = tenancy[className] as unknown as new (name: string, args: object) => unknown;
      const limit = Error.stackTraceLimit;
      try {
        Error.stackTraceLimit = 17;
        new Resource(`sdk-limit-${className.toLowerCase()}`, args);
        assert.equal(Error.stackTraceLimit, 17);
        // The SDK refuses a resource without a name while it registers it.
        assert.throws(() => new Resource("", args), /name/);
        assert.equal(Error.stackTraceLimit, 17);
      } finally {
        Error.stackTraceLimit = limit;
      }
    });
  }
});
