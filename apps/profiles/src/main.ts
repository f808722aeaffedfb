import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { profilesApp } from './profiles.app.js';

await runApp(profilesApp);
