// An environment of an existing project, its project, domain and name given as plain strings from
// the stack config (as when a program refers to objects it does not declare).
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

const config = new pulumi.Config();
new tenancy.Environment("env", {
  project: config.require("project"),
  domain: config.require("domain"),
  ...(config.get("name") ? { name: config.get("name") } : {}),
});
