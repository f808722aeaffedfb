import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'authmesh:isPublic';

/** Opts a route out of the global authentication guard (health, metrics, JWKS, login…). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
