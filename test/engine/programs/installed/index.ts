// Uses every resource class of the installed package, with its types. `unprotectedProduction`
// adds what the policy pack refuses: a production environment that is not protected.
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

const config = new pulumi.Config();
const development = new tenancy.Domain("development", { name: "development", tier: "non-production" });
const production = new tenancy.Domain("production", { name: "production", tier: "production", order: 30 });
const web = new tenancy.Project("web", { name: "web", labels: { team: "storefront" } });
const webDev = new tenancy.Environment("web-development", { project: web.name, domain: development.name });
new tenancy.Quota("web-development", { project: web.name, environment: webDev.name, cpu: 4, memory: "8Gi" });
new tenancy.ResourceDefaults("development", { domain: development.name, requests: { cpu: "250m" } });
new tenancy.SecretBinding("web-development-db", {
  project: web.name,
  environment: webDev.name,
  name: "db-url",
  reference: "vault://web/dev/db",
});
new tenancy.RoleBinding("web-storefront", {
  project: web.name,
  subject: "team:storefront",
  role: "developer",
});
if (config.getBoolean("unprotectedProduction")) {
  new tenancy.Environment("web-production", { project: web.name, domain: production.name });
}

export const environment: pulumi.Output<string> = webDev.name;
