import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link TeamMember}. Both fields are its identity. */
export interface TeamMemberArgs {
  team: pulumi.Input<string>;
  /** `user:…` or `service:…`. */
  subject: pulumi.Input<string>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * One membership of a team, additive: for teams whose members are kept in several stacks or
 * synced from an identity provider. A team whose {@link Team} declares `members` refuses it.
 *
 * @example
 * new tenancy.TeamMember("platform-ada", { team: "platform", subject: "user:ada" });
 */
export class TeamMember extends TenancyResource {
  declare readonly team: pulumi.Output<string>;
  declare readonly subject: pulumi.Output<string>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: TeamMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super("TeamMember", name, args, TenancyResource.prepare("TeamMember", name, args, opts));
  }
}
