import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** One embedded PGlite database served over the Postgres wire protocol on a free local port. */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    /** postgres:// URL a pg client (TypeORM) connects to. */
    readonly url: string,
  ) {}

  /** Starts (or reopens) the database stored under `<dataDir>/pglite/<name>`. */
  static async start(dataDir: string, name: string): Promise<EmbeddedPostgres> {
    const dir = join(dataDir, 'pglite', name);
    mkdirSync(dir, { recursive: true });
    const db = await PGlite.create({ dataDir: dir, extensions: { pgcrypto } });
    // PGlite is single-connection; the socket server multiplexes a small pool's connections onto it.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
    const conn = server.getServerConn();
    return new EmbeddedPostgres(db, server, `postgres://postgres@${conn}/postgres`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
