// The web console's pages: one HTML document for every /ui/ path (each page opens by its URL), and
// the script and stylesheet that `npm run build` bundles into dist/console. The page calls the API
// with the token typed into it, so it shows exactly what that token may read.
import type { FastifyInstance, FastifyReply } from "fastify";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { TenancyError, toProblem } from "../../model";

/** Only the server's own script and stylesheet; no inline script, no framing, no other origin. */
export const consoleSecurityHeaders: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const assets: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** dist/console beside the compiled server; from the sources, the repository's dist/console. */
function assetsFolder(): string | undefined {
  for (const candidate of [
    path.resolve(__dirname, "../../console"),
    path.resolve(__dirname, "../../dist/console"),
  ]) {
    if (existsSync(path.join(candidate, "app.js"))) return candidate;
  }
  return undefined;
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tenancy console</title>
<link rel="stylesheet" href="/ui/assets/app.css">
<script defer src="/ui/assets/app.js"></script>
</head>
<body>
<noscript>The tenancy console needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;

export function registerConsole(app: FastifyInstance) {
  const folder = assetsFolder();
  const files = new Map<string, Buffer>();
  if (folder) for (const name of Object.keys(assets)) files.set(name, readFileSync(path.join(folder, name)));

  const secure = (reply: FastifyReply) => reply.headers(consoleSecurityHeaders);
  const unbuilt = (reply: FastifyReply) =>
    secure(reply)
      .status(503)
      .type("application/problem+json")
      .send(toProblem(new TenancyError("unavailable", "the console is not built: run npm run build")));

  const sendPage = (reply: FastifyReply) => {
    if (!folder) return unbuilt(reply);
    return secure(reply).type("text/html; charset=utf-8").header("cache-control", "no-store").send(page);
  };
  // The router ignores trailing slashes: `/ui` and `/ui/` both arrive here.
  app.get("/ui", (request, reply) =>
    request.url.split("?")[0] === "/ui" ? secure(reply).redirect("/ui/", 308) : sendPage(reply),
  );
  app.get<{ Params: { file: string } }>("/ui/assets/:file", (request, reply) => {
    const body = files.get(request.params.file);
    if (!folder) return unbuilt(reply);
    if (!body) {
      return secure(reply)
        .status(404)
        .type("application/problem+json")
        .send(toProblem(new TenancyError("not_found", `no console asset ${request.params.file}`)));
    }
    return secure(reply).type(assets[request.params.file]!).header("cache-control", "no-cache").send(body);
  });
  app.get("/ui/*", (_request, reply) => sendPage(reply));
}
