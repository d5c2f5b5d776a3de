// Where control blocks live: --control-dir, else SPIRIT_CONTROL_DIR (the data plane's own default), else
// /dev/shm. The daemon passes its choice to its workloads so both sides use the same directory.
export function defaultControlDirPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPIRIT_CONTROL_DIR || '/dev/shm';
}
