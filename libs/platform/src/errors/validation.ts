import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldProblem, RequestValidationError } from './app-error.js';

/** Flattens class-validator's tree into one entry per bad field, named by its dotted path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    // A missing field is only "required": its length or format rules are noise until it is there.
    if (e.constraints) out.push({ field, problems: e.value === undefined ? [`${e.property} is required`] : Object.values(e.constraints) });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** A DTO body must be a JSON object: say so, instead of naming the whole body as a bad field. */
class PlatformValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && metadata.metatype !== Object && metadata.metatype.prototype !== undefined;
    if (metadata.type === 'body' && isDto && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      const problem = value === undefined ? 'is required: a JSON object, with Content-Type: application/json' : 'must be a JSON object';
      throw new RequestValidationError([{ field: 'body', problems: [`body ${problem}`] }]);
    }
    return super.transform(value, metadata);
  }
}

/** Request input is validated at the edge; unknown fields are rejected, not silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new PlatformValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}
