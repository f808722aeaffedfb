// `node dist/bench/edge/auth-off.main.js`: orders' GET /whoami without authentication (bench:edge only).
import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { edgeAuthOffApp } from './auth-off.module.js';

await runApp(edgeAuthOffApp);
