// Debian's chromium, driven by playwright-core (which downloads no browser of its own).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "./commands";

/** Launches headless chromium, installing Debian's package first when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = execFileSync("bash", [path.join(repoRoot, "scripts/ensure-chromium.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  // --no-sandbox: the suite runs as root, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

/** Opens the console at `url` and signs in with `token` through its form, as a person does. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects × domains" }).waitFor();
  await page.getByText(/^Read at/).waitFor();
}
