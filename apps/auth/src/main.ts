import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { authApp } from './auth.app.js';

await runApp(authApp);
