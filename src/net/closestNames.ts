/**
 * Internal: the valid names closest to a mistyped one (Levenshtein distance, case-insensitive), for error messages
 * such as "unknown layer 'fire6-squeze1x1'; closest: 'fire6-squeeze1x1', ...". Not exported from the package.
 */

/** Edit distance (insertions, deletions, substitutions) between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `count` of `candidates` nearest to `name`: first those that contain it (`'relu'` → `'relu_conv1'`), then by
 * edit distance; ties keep the candidates' order.
 */
export function closestNames(name: string, candidates: readonly string[], count = 3): string[] {
  // Characters past the longest candidate can only add deletions: compare at most that many (plus a margin), so that a
  // name of a million characters costs no more than a long one (the distance is quadratic in the lengths).
  const longest = candidates.reduce((m, c) => Math.max(m, c.length), 0);
  const key = name.slice(0, Math.min(name.length, longest + 16, 1024)).toLowerCase();
  return candidates
    .map((c, i) => ({
      c,
      i,
      sub: key.length > 0 && key.length === name.length && c.toLowerCase().includes(key) ? 0 : 1,
      d: editDistance(key, c.toLowerCase()),
    }))
    .sort((x, y) => x.sub - y.sub || x.d - y.d || x.i - y.i)
    .slice(0, count)
    .map((x) => x.c);
}

/** `'a', 'b' or 'c'` */
export function listQuoted(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * Names for a message: a model file may declare any number of inputs or outputs, so a dozen at most and how many
 * more; quoted (`'a', 'b' or 'c'`) or plain (`a, b, c`).
 */
export function someNames(names: readonly string[], quoted: boolean): string {
  const q = (n: string) => (quoted ? `'${n}'` : n);
  if (names.length > 12)
    return `${names.slice(0, 12).map(q).join(', ')} ${quoted ? 'or' : 'and'} ${names.length - 12} more`;
  return quoted ? listQuoted(names) : names.join(', ');
}
