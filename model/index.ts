// The vocabulary shared by every layer: schemas and types of every kind, name rules, quantities
// and the error registry. Imports nothing of ours.
export * from "./approval";
export * from "./audit";
export * from "./change";
export * from "./cluster";
export * from "./cluster-snapshot";
export * from "./cluster-status";
export * from "./common";
export * from "./console";
export * from "./dimensions";
export * from "./domain";
export * from "./effective";
export * from "./environment";
export * from "./errors";
export * from "./kinds";
export * from "./names";
export * from "./project";
export * from "./project-objects";
export * from "./quantity";
export * from "./quota";
export * from "./reservation";
export * from "./resource-defaults";
export * from "./role-binding";
export * from "./secret-binding";
export * from "./team";
export * from "./token";
export * from "./validation";
