// Where the secrets key comes from: TENANCY_SECRET_KEY (32 bytes, base64), else a key file created
// with mode 0600 in the data folder. TENANCY_SECRET_KEY_PREVIOUS (comma-separated) keeps rotated-out
// keys able to decrypt what they sealed.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createKeyring, parseKey, type Keyring } from "./service";

export const keyFileName = "secret.key";

export function loadKeyring(env: NodeJS.ProcessEnv, dataDir: string | undefined): Keyring {
  const previous = (env.TENANCY_SECRET_KEY_PREVIOUS ?? "")
    .split(",")
    .filter((text) => text.trim() !== "")
    .map((text, i) => parseKey(text, `TENANCY_SECRET_KEY_PREVIOUS[${i}]`));
  if (env.TENANCY_SECRET_KEY) {
    return createKeyring([parseKey(env.TENANCY_SECRET_KEY, "TENANCY_SECRET_KEY"), ...previous]);
  }
  if (dataDir === undefined) {
    throw new Error(
      "set TENANCY_SECRET_KEY (32 bytes, base64; every server on one database needs the same key) or give --data for a key file",
    );
  }
  const file = path.join(dataDir, keyFileName);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, randomBytes(32).toString("base64") + "\n", { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  return createKeyring([parseKey(fs.readFileSync(file, "utf8"), file), ...previous]);
}
