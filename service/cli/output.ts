// Machine-readable output goes to stdout as one JSON document; everything else goes to stderr.
export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}
