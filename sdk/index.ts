// What a Pulumi program imports: `import * as tenancy from "tenancy"`.
export { ApiToken, type ApiTokenArgs } from "./api-token";
export { Cluster, type ClusterArgs } from "./cluster";
export { Domain, type DomainArgs } from "./domain";
export { Environment, type EnvironmentArgs } from "./environment";
export { Project, type ProjectArgs } from "./project";
export { Quota, type QuotaArgs, type Quantity } from "./quota";
export { ResourceDefaults, type ResourceDefaultsArgs, type ResourceAmounts } from "./resource-defaults";
export { RoleBinding, type RoleBindingArgs, type Role } from "./role-binding";
export { SecretBinding, type SecretBindingArgs } from "./secret-binding";
export { Team, type TeamArgs } from "./team";
export { TeamMember, type TeamMemberArgs } from "./team-member";
export type { TenancyClient } from "../client";
export type { ManagedBy } from "./provider";
export { createClient, type ClientOptions } from "../provider/connect";
