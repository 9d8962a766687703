// Request bodies: JSON only, valid UTF-8, and an empty body is no body.
import type { FastifyInstance } from "fastify";
import { TenancyError } from "../../model";

export function registerJsonBody(app: FastifyInstance) {
  // An empty body is no body (clients often send Content-Type on every request); anything else must
  // be valid UTF-8 (not silently repaired) and goes through Fastify's own parser, which refuses
  // prototype-poisoning keys.
  const parseJson = app.getDefaultJsonParser("error", "error");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(
        new TenancyError("validation_failed", "the body is not valid UTF-8", {
          errors: [{ path: "(body)", message: "not valid UTF-8" }],
        }),
        undefined,
      );
    }
    if (text.trim() === "") return done(null, undefined);
    parseJson(request, text, done);
  });
  // Bodiless requests may carry any Content-Type (some clients add one to every POST); a body in
  // anything but JSON is refused.
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    if (String(body).trim() === "") return done(null, undefined);
    done(
      new TenancyError(
        "validation_failed",
        `send JSON (Content-Type: application/json), not ${request.headers["content-type"]}`,
        {
          errors: [{ path: "Content-Type", message: "must be application/json" }],
        },
      ),
      undefined,
    );
  });
}
