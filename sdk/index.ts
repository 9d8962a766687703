// What a Pulumi program imports from "tenancy".
export {};
