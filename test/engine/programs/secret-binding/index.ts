// A secret binding whose value comes from the secret config `value`, with the optional plain config
// `reference` too (declaring both is what check refuses).
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

const config = new pulumi.Config();
new tenancy.SecretBinding("db", {
  project: "web",
  environment: "production",
  name: "db",
  value: config.requireSecret("value"),
  ...(config.get("reference") ? { reference: config.get("reference") } : {}),
});
