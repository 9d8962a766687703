import { PolicyPack } from "@pulumi/policy";

const probeType = "pulumi-nodejs:dynamic/tenancy:Probe";

new PolicyPack("probe-rules", {
  policies: [
    {
      name: "probe-no-forbidden-message",
      description: "A probe's message is never the word forbidden.",
      enforcementLevel: "mandatory",
      validateResource: (args, report) => {
        if (args.type === probeType && args.props.message === "forbidden") {
          report(`probe ${args.name}: message "forbidden" is not allowed`);
        }
      },
    },
    {
      name: "probe-unique-messages",
      description: "No two probes in a stack carry the same message.",
      enforcementLevel: "mandatory",
      validateStack: (args, report) => {
        const seen = new Map<string, string>();
        for (const resource of args.resources) {
          if (resource.type !== probeType) continue;
          const message = String(resource.props.message);
          const other = seen.get(message);
          if (other !== undefined)
            report(`probes ${other} and ${resource.name} share the message "${message}"`);
          seen.set(message, resource.name);
        }
      },
    },
  ],
});
