// The vocabulary shared by every layer: schemas, name rules and error codes.
export {};
