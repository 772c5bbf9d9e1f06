/**
 * "Did you mean" for mistyped names (experiment ids, parameters, flags, registry entries): the
 * known names closest to what was typed, by optimal-string-alignment distance (Damerau–Levenshtein
 * without repeated edits of one substring: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1).
 */

/** Edit distance counting a swap of two neighbouring characters as one edit (`ansil` → `anils`: 1). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  // Three rows suffice: the swap looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/**
 * The known names a typo most likely meant, best first (at most `max`): those within an edit
 * distance of about a third of the name's length (at least 1, at most 3, case ignored), then, if
 * none, the names that contain it (`kong` → the `kong-*` ids, up to 2·max + 2). Empty if nothing is
 * close: a suggestion that is far off is worse than none.
 */
export function closestNames(typed: string, known: readonly string[], max = 3): string[] {
  const t = typed.toLowerCase();
  if (t === "") return [];
  const limit = Math.min(3, Math.max(1, Math.floor(t.length / 3)));
  const near = known
    .map((name, i) => ({ name, i, d: editDistance(t, name.toLowerCase()) }))
    .filter((x) => x.d <= limit && x.name !== typed)
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.name);
  if (near.length) return near.slice(0, max);
  if (t.length < 3) return [];
  // A fragment (`kong`) names a family of names: list more of them.
  return known.filter((name) => name.toLowerCase().includes(t)).slice(0, 2 * max + 2);
}

/** ` Did you mean "a"?` / ` Did you mean "a" or "b"?`, or "" when nothing is close. */
export function didYouMean(typed: string, known: readonly string[], quote = (s: string) => `"${s}"`): string {
  const c = closestNames(typed, known).map(quote);
  if (c.length === 0) return "";
  const list = c.length === 1 ? c[0] : `${c.slice(0, -1).join(", ")} or ${c[c.length - 1]}`;
  return ` Did you mean ${list}?`;
}
