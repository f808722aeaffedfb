import { forbiddenInContext, isExcluded, parseDockerignore } from './docker-context.js';

// Docker's own examples (docs.docker.com, "Build context", .dockerignore), which differ from gitignore.
describe('.dockerignore matching, as Docker does it', () => {
  const ignore = (text: string, path: string) => isExcluded(parseDockerignore(text), path);

  it('anchors patterns at the context root: *.pem is top-level only, **/*.pem any depth', () => {
    expect(ignore('*.pem', 'key.pem')).toBe(true);
    expect(ignore('*.pem', 'certs/key.pem')).toBe(false);
    expect(ignore('**/*.pem', 'certs/deep/key.pem')).toBe(true);
    expect(ignore('**/*.pem', 'key.pem')).toBe(true);
  });

  it('*/temp* one level down, temp? one character, a folder pattern covers its contents', () => {
    expect(ignore('*/temp*', 'somedir/temporary.txt')).toBe(true);
    expect(ignore('*/temp*', 'temporary.txt')).toBe(false);
    expect(ignore('*/temp*', 'a/b/temporary.txt')).toBe(false);
    expect(ignore('temp?', 'tempa')).toBe(true);
    expect(ignore('temp?', 'tempab')).toBe(false);
    expect(ignore('.data', '.data/pglite/auth/PG_VERSION')).toBe(true);
  });

  it('! re-includes, and the last matching line wins', () => {
    expect(ignore('*.md\n!README*.md\nREADME-secret.md', 'README.md')).toBe(false);
    expect(ignore('*.md\n!README*.md\nREADME-secret.md', 'README-secret.md')).toBe(true);
    expect(ignore('*.md\nREADME-secret.md\n!README*.md', 'README-secret.md')).toBe(false);
  });

  it('comments and blank lines are not patterns; a leading / is the root', () => {
    expect(ignore('# *.ts\n\n/dist', 'main.ts')).toBe(false);
    expect(ignore('# *.ts\n\n/dist', 'dist/main.js')).toBe(true);
  });

  it('names what must never be sent', () => {
    expect(forbiddenInContext('.data/auth-kek')).toMatch('.data/');
    expect(forbiddenInContext('apps/x/node_modules/y.js')).toMatch('node_modules/');
    expect(forbiddenInContext('a/b.key')).toBe('a key file');
    expect(forbiddenInContext('.env.compose/auth.env')).toBe('an .env file');
    expect(forbiddenInContext('apps/auth/src/main.ts')).toBeUndefined();
  });
});
