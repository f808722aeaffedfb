/**
 * The one string rule for every input (bodies, queries, path parameters, OAuth parameters): no
 * NUL character and no unpaired UTF-16 surrogate. Postgres refuses NUL in text (a 500 when it
 * reached the database), and an unpaired surrogate cannot be encoded as UTF-8, so it is either
 * refused deep down or silently stored as U+FFFD (a different value from the one validated).
 */
export function isAcceptableString(value: string): boolean {
  return !FORBIDDEN.test(value);
}

// With the `u` flag a surrogate pair is one code point (not a surrogate), so \p{Surrogate} matches only unpaired ones.
const FORBIDDEN = /[\0\p{Surrogate}]/u;

/** What the caller is told about a refused string. */
export const UNACCEPTABLE_STRING_PROBLEM = 'must not contain a NUL character or an unpaired UTF-16 surrogate';

/** Deeper JSON is refused before any validator recurses into it (a stack-overflow 500). */
export const MAX_INPUT_DEPTH = 32;

export type InputProblem = { field: string; problem: string };

/**
 * The first string (value or key) in `value` that breaks the rule, or the first place nested
 * deeper than MAX_INPUT_DEPTH, named by its dotted path under `root` ('' names the body itself).
 * Iterative: a hostile body of 100 000 nested arrays must not overflow the stack here.
 */
export function findInputProblem(value: unknown, root: string): InputProblem | undefined {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isAcceptableString(v)) return { field: path || 'body', problem: UNACCEPTABLE_STRING_PROBLEM };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_INPUT_DEPTH) return { field: path || 'body', problem: `must not be nested deeper than ${MAX_INPUT_DEPTH} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, String(i)), depth + 1]);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (!isAcceptableString(key)) return { field: join(path, JSON.stringify(key)), problem: `name ${UNACCEPTABLE_STRING_PROBLEM}` };
      stack.push([(v as Record<string, unknown>)[key], join(path, key), depth + 1]);
    }
  }
  return undefined;
}
