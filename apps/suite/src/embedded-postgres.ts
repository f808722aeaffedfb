import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PgliteSocketServer } from './pglite-socket-server.js';

/** One embedded PGlite database served over the Postgres wire protocol on a free local port. */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PgliteSocketServer,
    /** postgres:// URL a pg client (TypeORM) connects to. */
    readonly url: string,
  ) {}

  /**
   * Starts (or reopens) one database per name under `<dataDir>/pglite/<name>`. A fresh database
   * costs an initdb (~5 s of CPU in WASM); new ones are cloned from one in-memory template
   * instead, which makes a first `npm start` several times faster.
   */
  static async startAll(dataDir: string, names: readonly string[]): Promise<Map<string, EmbeddedPostgres>> {
    const dirs = new Map(names.map((n) => [n, join(dataDir, 'pglite', n)]));
    const fresh = names.filter((n) => !existsSync(join(dirs.get(n)!, 'PG_VERSION')));
    let template: Blob | File | undefined;
    if (fresh.length > 0) {
      const t = await PGlite.create({ extensions: { pgcrypto } });
      template = await t.dumpDataDir('none');
      await t.close();
    }
    const started = await Promise.all(
      names.map(async (name) => {
        const dir = dirs.get(name)!;
        mkdirSync(dir, { recursive: true });
        const db = await PGlite.create({
          dataDir: dir,
          extensions: { pgcrypto },
          ...(fresh.includes(name) ? { loadDataDir: template } : {}),
        });
        // PGlite is single-session; our socket server multiplexes a small pool's connections onto it,
        // keeping each connection's extended-protocol batch together (pglite-query-queue.ts).
        const server = new PgliteSocketServer(db, '127.0.0.1', 16);
        await server.start();
        return [name, new EmbeddedPostgres(db, server, `postgres://postgres@${server.conn}/postgres`)] as const;
      }),
    );
    return new Map(started);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
