// `node dist/bench/edge/passport-strategy.main.js`: orders' GET /whoami on AuthGuard('authmesh') (bench:edge only).
import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { edgePassportStrategyApp } from './passport-strategy.module.js';

await runApp(edgePassportStrategyApp);
