import { TenancyError } from "../model";

/** Undefined when the control plane says the object does not exist; any other failure stands. */
export async function orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (TenancyError.isInstance(err) && err.code === "not_found") return undefined;
    throw err;
  }
}
