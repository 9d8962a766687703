// Recognises the errors that mean "the database cannot be reached right now", as opposed to a
// fault in a statement: the server answers those with \`unavailable\` and a Retry-After.
import { isStalePlan } from "./prepared-statements";

/** SQLSTATE classes and codes of a database that is down, restarting or refusing connections. */
const unavailableStates = new Set(["57P01", "57P02", "57P03", "53300"]);
const unavailableSystemCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const unavailableMessages = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  // A prepared statement whose result changed shape under a transaction (see prepared-statements):
  // the retry prepares it afresh.
  if (isStalePlan(err)) return true;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (unavailableStates.has(code) || code.startsWith("08"))) return true;
  if (typeof code === "string" && unavailableSystemCodes.has(code)) return true;
  if (typeof message === "string" && unavailableMessages.some((pattern) => pattern.test(message)))
    return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isDatabaseUnavailable(cause);
}
