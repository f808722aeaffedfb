// `node dist/bench/edge/passport-jwt-peer.main.js`: the Nest + @nestjs/passport + passport-jwt + jwks-rsa peer (bench:edge only).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { PassportJwtPeerModule } from './passport-jwt-peer.module.js';
import { peerConfigFromEnv } from './peer-config.js';

const config = peerConfigFromEnv(process.env);
const app = await NestFactory.create<NestFastifyApplication>(PassportJwtPeerModule.forRoot(config), new FastifyAdapter(), {
  logger: false,
});
await app.listen({ port: config.port, host: '127.0.0.1' });
process.stdout.write(`passport-jwt ready on ${await app.getUrl()}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
