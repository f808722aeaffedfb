import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  COMPOSE_ENV_DIR,
  COMPOSE_ENV_FILES,
  type ComposeEnvFile,
  type EnvFileContents,
  composeEnvFiles,
  parseEnvFile,
  renderEnvFile,
} from './compose-env.js';

/**
 * `npm run compose:init`: writes .env.compose/<service>.env, the secrets docker-compose.yml reads
 * (KEK, client secrets, admin and Postgres passwords). Kept on a second run; files are 0600 in a
 * 0700 folder, both git-ignored and outside the Docker build context (.dockerignore `**\/.env*`).
 * Run from the repository root (npm does).
 */
function main(): void {
  const dir = resolve(process.cwd(), COMPOSE_ENV_DIR);
  const existing: Partial<Record<ComposeEnvFile, EnvFileContents>> = {};
  for (const name of COMPOSE_ENV_FILES) {
    const file = join(dir, `${name}.env`);
    if (existsSync(file)) existing[name] = parseEnvFile(readFileSync(file, 'utf8'));
  }
  const files = composeEnvFiles(existing, (bytes, encoding) => randomBytes(bytes).toString(encoding));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of COMPOSE_ENV_FILES) {
    const file = join(dir, `${name}.env`);
    writeFileSync(file, renderEnvFile(files[name]), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const kept = Object.keys(existing).length;
  process.stdout.write(
    `compose:init: ${kept ? `kept the secrets of ${kept} existing file(s) and ` : ''}wrote ${COMPOSE_ENV_FILES.length} env files under ${COMPOSE_ENV_DIR}/\n` +
      `compose:init: next, \`docker compose up --build\`; the gateway answers on http://127.0.0.1:3000 ` +
      `(admin ${files.auth.AUTH_SEED_ADMIN_EMAIL}, password: AUTH_SEED_ADMIN_PASSWORD in ${COMPOSE_ENV_DIR}/auth.env)\n`,
  );
}

main();
