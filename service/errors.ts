// The project's error classes. Bad input is an InputError (CLI exit code 2, HTTP 400); a missing thing is a
// NotFoundError (HTTP 404); anything else is a bug or an operating failure (exit 1, HTTP 500).

/** Bad input from a user or a peer: says where (file/field) and what is wrong. */
export class InputError extends Error {
  readonly code = 'bad_input';
  /** `where` is a file name, a JSON path like `apps[2].model.mrc[3][1]`, or both (`file: path`). */
  constructor(readonly where: string, readonly problem: string, readonly details?: { where: string; problem: string }[]) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'InputError';
  }

  /** The same error located inside a file (prefix for CLI messages). */
  inFile(file: string): InputError {
    return new InputError(this.where ? `${file}: ${this.where}` : file, this.problem, this.details);
  }
}

export class NotFoundError extends Error {
  readonly code = 'not_found';
  constructor(readonly what: string, readonly id: string) {
    super(`${what} '${id}' not found`);
    this.name = 'NotFoundError';
  }
}

/** An invariant that must hold whatever the input: a failure is a bug in this project. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
