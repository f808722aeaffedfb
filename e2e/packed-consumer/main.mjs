// A Nest service outside this repository, depending only on the packed @authmesh tarballs and
// public npm packages (e2e/packed-tarball.e2e-spec.ts installs it under the OS temp dir). Plain
// JavaScript, so nothing compiles it: decorators are applied as functions.
import 'reflect-metadata';
import process from 'node:process';
import { Controller, Get, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { RevocationModule, revocationConfigFrom } from '@authmesh/revocation';
import { TokenVerifierModule, VerifierHostModule, WhoamiController, verifierConfigFrom } from '@authmesh/token-verifier';
import { AuthmeshStrategy } from '@authmesh/token-verifier/passport';
import { JwksCache } from '@authmesh/token-verifier/core';

// GET /passport: the same verifier behind AuthGuard('authmesh').
class PassportController {
  me(request) {
    return request.user;
  }
}
Reflect.decorate([Get()], PassportController.prototype, 'me', Object.getOwnPropertyDescriptor(PassportController.prototype, 'me'));
Req()(PassportController.prototype, 'me', 0);
Reflect.decorate([Controller('passport'), UseGuards(AuthGuard('authmesh'))], PassportController);

const env = process.env;
// Its audience: a login token's (`orders` is one of them); an AUTH_AUDIENCE in env would not change it.
const verifier = verifierConfigFrom(env, 'orders');
const revocation = RevocationModule.forVerifier({ ...revocationConfigFrom(env), clockToleranceSeconds: verifier.clockToleranceSeconds });

class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [
        VerifierHostModule.forRoot({ appName: 'consumer', redisUrl: env.REDIS_URL }),
        TokenVerifierModule.forRoot({ ...verifier, ...revocation }),
      ],
      controllers: [WhoamiController, PassportController],
      providers: [AuthmeshStrategy],
    }),
  ],
  AppModule,
);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error'] });
await app.listen(0, '127.0.0.1');
// The /core entry is the same module instance the Nest adapter uses (one JwksCache class).
const keys = app.get(JwksCache);
process.stdout.write(`listening ${await app.getUrl()} ${keys instanceof JwksCache}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
