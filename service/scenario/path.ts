// JSON paths for messages: ['apps', 2, 'model', 'mrc', 3, 1] -> "apps[2].model.mrc[3][1]".
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}
