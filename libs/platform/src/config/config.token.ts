import { Inject } from '@nestjs/common';

/** Injection token of the app's validated configuration object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the app's validated configuration (read once, at start-up). */
export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);
