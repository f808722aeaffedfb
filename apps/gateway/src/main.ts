import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { gatewayApp } from './gateway.app.js';

await runApp(gatewayApp);
