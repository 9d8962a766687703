import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link Team}. */
export interface TeamArgs {
  /** The team's name (immutable); role bindings name it as `team:<name>`. */
  name: pulumi.Input<string>;
  displayName?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /**
   * The authoritative member list (`user:…`, `service:…`): members added elsewhere are removed at
   * the next `pulumi up --refresh`. Leave it out to manage memberships with {@link TeamMember}
   * resources or by hand; declaring both is a conflict.
   */
  members?: pulumi.Input<pulumi.Input<string>[]>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * A group of users and services. A RoleBinding for `team:<name>` grants its role to every member,
 * read at each request: a member removed from the team loses the role on the next request.
 *
 * @example
 * const platform = new tenancy.Team("platform", { name: "platform", members: ["user:ada", "user:grace"] });
 * new tenancy.RoleBinding("platform-admin", { project: "web", subject: pulumi.interpolate`team:${platform.name}`, role: "admin" });
 */
export class Team extends TenancyResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string | undefined>;
  declare readonly description: pulumi.Output<string | undefined>;
  /** The members, sorted (only when declared). */
  declare readonly members: pulumi.Output<string[] | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: TeamArgs, opts?: pulumi.CustomResourceOptions) {
    super("Team", name, args, TenancyResource.prepare("Team", name, args, opts));
  }
}
