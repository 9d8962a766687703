// The example organisation. Until the tenancy resources land, it records the organisation itself
// as one dynamic resource in the local .tenancy folder, which shows the toolchain end to end.
import * as pulumi from "@pulumi/pulumi";

interface OrganisationInputs {
  name: string;
  folder: string;
}

const organisationProvider: pulumi.dynamic.ResourceProvider<OrganisationInputs> = {
  async create(inputs) {
    const fs = require("node:fs");
    fs.mkdirSync(inputs.folder, { recursive: true });
    fs.writeFileSync(require("node:path").join(inputs.folder, "organisation.json"), JSON.stringify(inputs));
    return { id: inputs.name, outs: inputs };
  },
  async delete(_id, props) {
    require("node:fs").rmSync(require("node:path").join(props.folder, "organisation.json"), { force: true });
  },
};

class Organisation extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: OrganisationInputs, opts?: pulumi.CustomResourceOptions) {
    super(organisationProvider, name, args, opts, "tenancy", "Organisation");
  }
}

const organisation = new Organisation("example", {
  name: "example",
  folder: require("node:path").join(pulumi.getRootDirectory(), ".tenancy"),
});

export const organisationName = organisation.name;
