import 'reflect-metadata';
import { runApp } from '@authmesh/platform';
import { ordersApp } from './orders.app.js';

await runApp(ordersApp);
