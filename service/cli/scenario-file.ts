// Reading a scenario file for the CLI: every error names the file.
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { MAX_SCENARIO_BYTES } from '../limits.ts';
import { parseScenarioText, type ParseOptions, type Parsed } from '../scenario/validate.ts';

export function readScenarioFile(file: string, opts: ParseOptions = {}): Parsed {
  let text: string;
  try {
    if (statSync(file).size > MAX_SCENARIO_BYTES) throw new InputError(file, `is larger than ${MAX_SCENARIO_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseScenarioText(text, opts);
  } catch (err) {
    if (err instanceof InputError) throw err.inFile(file);
    throw err;
  }
}
