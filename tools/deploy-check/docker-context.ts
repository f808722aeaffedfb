import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
}

/**
 * .dockerignore as Docker reads it — a port of moby's patternmatcher, not gitignore semantics:
 * patterns are anchored at the context root (`*.pem` matches top-level files only), `**` spans
 * folders, `!` re-includes, the last matching pattern wins, and a pattern that matches a parent
 * folder matches everything in it. minimatch/ignore in node_modules implement glob/gitignore
 * rules, which differ exactly there (a gitignore `*.pem` matches at any depth, Docker's does not),
 * so they would pass a .dockerignore that still sends nested keys.
 */
export function parseDockerignore(text: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (!p || p.startsWith('#')) continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    p = p
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .replace(/\/\.\//g, '/');
    patterns.push({ exclusion, regex: globToRegex(p) });
  }
  return patterns;
}

function globToRegex(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') i++;
        re += i + 1 >= glob.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else if (ch === '[') {
      const end = glob.indexOf(']', i);
      re += end > i ? glob.slice(i, end + 1).replace('[!', '[^') : '\\[';
      if (end > i) i = end;
    } else re += /[.+^${}()|\]\\]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`${re}$`);
}

/** Whether Docker leaves `path` (relative, `/`-separated) out of the build context. */
export function isExcluded(patterns: readonly Pattern[], path: string): boolean {
  const parents = path.split('/').slice(0, -1);
  let matched = false;
  for (const p of patterns) {
    if (p.exclusion !== matched) continue;
    let match = p.regex.test(path);
    for (let i = 0; !match && i < parents.length; i++) match = p.regex.test(parents.slice(0, i + 1).join('/'));
    if (match) matched = !p.exclusion;
  }
  return matched;
}

/**
 * Every file `docker build` would send from `root`: the tree walked as the daemon does (symlinks
 * sent as links, not followed), excluded folders skipped unless a `!` pattern might re-include
 * something inside them.
 */
export function contextFiles(root: string, patterns: readonly Pattern[]): string[] {
  const reincludes = patterns.some((p) => p.exclusion);
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel))) {
      const path = rel ? `${rel}/${entry}` : entry;
      const stat = lstatSync(join(root, path));
      if (stat.isDirectory()) {
        if (!reincludes && isExcluded(patterns, path)) continue;
        walk(path);
      } else if (!isExcluded(patterns, path)) out.push(path);
    }
  };
  walk('');
  return out;
}

/** What the build context must never hold, by path: secrets, the host's install, history. */
export function forbiddenInContext(path: string): string | undefined {
  const parts = path.split('/');
  const base = parts[parts.length - 1]!;
  if (parts.includes('.data')) return '.data/ (npm start: the generated AUTH_KEK and client secrets)';
  if (parts.includes('node_modules')) return "node_modules/ (the host's install)";
  if (parts.includes('.git')) return '.git';
  if (/\.(pem|key)$/.test(base)) return 'a key file';
  if (parts.some((p) => p.startsWith('.env'))) return 'an .env file';
  return undefined;
}
