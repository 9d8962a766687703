// Name rules shared by the control plane and the policy pack.

/** Lowercase letters, digits and `-`, starting with a letter, ending with a letter or digit. */
export const namePattern = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const maxNameLength = 40;
/** Runtimes derive namespaces from `project-environment`, so it must be a DNS label. */
export const maxNamespaceLength = 63;

/** Why `name` breaks the rules, or undefined when it follows them. */
export function nameProblem(name: string, pattern: RegExp = namePattern): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > maxNameLength) return `must be at most ${maxNameLength} characters (has ${name.length})`;
  if (!pattern.test(name)) {
    return "must be lowercase letters, digits and '-', start with a letter and end with a letter or digit";
  }
  return undefined;
}

/** The namespace runtimes derive for an environment. */
export function namespaceOf(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** Why `project-environment` is not a valid DNS label, or undefined when it is. */
export function namespaceProblem(project: string, environment: string): string | undefined {
  const namespace = namespaceOf(project, environment);
  if (namespace.length > maxNamespaceLength) {
    return `'${namespace}' must be at most ${maxNamespaceLength} characters to be a DNS label (has ${namespace.length})`;
  }
  return undefined;
}
