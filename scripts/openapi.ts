// Writes the API's OpenAPI document, exactly as a server serves it at /openapi.json, to the path given.
import * as fs from "node:fs";
import * as path from "node:path";
import { openApiDocument } from "../server/http/openapi";
import { routes } from "../server/http/routes";

const [out] = process.argv.slice(2);
if (!out) throw new Error("usage: tsx scripts/openapi.ts <output file>");
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, "../package.json"), "utf8")) as {
  version: string;
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(openApiDocument(routes, version), null, 2) + "\n");
