// A reproducible experiment: a name, and a run that returns a JSON summary and report files (tables, SVG).
export interface ExperimentOutput {
  summary: Record<string, unknown>;
  /** file name -> contents, written under the output directory */
  files: Record<string, string>;
}

export interface Experiment {
  name: string;
  description: string;
  run(): Promise<ExperimentOutput>;
}
