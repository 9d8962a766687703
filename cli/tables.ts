// Plain-text output for the terminal. Everything shown comes from the server, which stores what its
// callers sent: control characters are escaped so a name or an audit entry cannot move the cursor,
// rewrite the screen or set the window title.

// C0 controls (but for none: a cell is one line), DEL, C1 controls, and the bidirectional overrides
// that reorder how text is displayed.
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's purpose
const unprintable = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character shown as an escape (`\u001b`). */
export function printable(text: string): string {
  return text.replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function table(headers: string[], rows: string[][]): string {
  const safe = rows.map((row) => row.map((cell) => printable(cell ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...safe.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? "").padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...safe.map(line)].join("\n") + "\n";
}
