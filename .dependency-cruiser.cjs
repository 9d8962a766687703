// The layers and the one way their arrows point (docs/development.md, "Layout"):
// model <- client <- provider <- sdk, model <- server <- provider, model <- client <- sync,
// model <- policies, model <- console (the browser's bundle); cli imports
// any layer and nothing imports it. `npm run lint` fails on an import that points the other way.
const layer = (name) => `^${name}/`;
const ours = "^(model|client|server|provider|sdk|sync|policies|cli|console)/";

/** `from` may import nothing of ours outside `allowed`. */
const only = (from, allowed) => ({
  name: `${from}-imports-only-${allowed.join("-")}`,
  comment: `${from}/ may import only ${allowed.join(", ")} of ours`,
  severity: "error",
  from: { path: layer(from) },
  to: { path: ours, pathNot: `^(${[from, ...allowed].join("|")})/` },
});

module.exports = {
  forbidden: [
    only("model", []),
    only("client", ["model"]),
    only("server", ["model"]),
    only("provider", ["model", "client", "server"]),
    only("sdk", ["model", "client", "provider"]),
    only("sync", ["model", "client"]),
    only("policies", ["model"]),
    only("console", ["model"]),
    {
      name: "nothing-imports-cli",
      comment: "cli/ is a leaf: it may import any layer, and no layer imports it",
      severity: "error",
      from: { pathNot: "^(cli|test)/" },
      to: { path: layer("cli") },
    },
    {
      name: "no-circular",
      comment: "modules import each other one way only: a circle is two modules that must change together",
      severity: "error",
      from: { path: ours },
      to: { circular: true },
    },
    {
      name: "no-imports-of-tests-or-bench",
      comment: "shipped code never loads tests or benchmarks",
      severity: "error",
      from: { path: ours },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
