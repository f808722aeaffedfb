import { AppError, RequestValidationError } from '@authmesh/platform';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, type Repository } from 'typeorm';
import { ProfileEntity, type ShippingAddress } from './profile.entity.js';

export class ProfileNotFound extends AppError {
  static readonly code = 'profile_not_found';
  readonly code = ProfileNotFound.code;
  readonly status = 404;
  constructor() {
    super('No profile for this user');
  }
}

export interface ProfilePage {
  items: ProfileEntity[];
  nextCursor: string | null;
}

const encodeCursor = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const userId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (userId === '' || encodeCursor(userId) !== cursor) {
    throw new RequestValidationError([{ field: 'cursor', problems: ['cursor is not one this API returned'] }]);
  }
  return userId;
}

@Injectable()
export class ProfilesService {
  constructor(@InjectRepository(ProfileEntity) private readonly profiles: Repository<ProfileEntity>) {}

  /** The caller's profile, created empty on first access (idempotent under concurrency). */
  async getOrCreate(userId: string): Promise<ProfileEntity> {
    await this.profiles.createQueryBuilder().insert().values({ userId }).orIgnore().execute();
    return this.profiles.findOneByOrFail({ userId });
  }

  async replace(userId: string, displayName: string, shippingAddress: ShippingAddress | null): Promise<ProfileEntity> {
    // Store only the known fields, in a fixed shape (line2 omitted when empty).
    const address: ShippingAddress | null = shippingAddress
      ? {
          line1: shippingAddress.line1,
          ...(shippingAddress.line2 ? { line2: shippingAddress.line2 } : {}),
          city: shippingAddress.city,
          postalCode: shippingAddress.postalCode,
          country: shippingAddress.country,
        }
      : null;
    // Create if missing, then update: created_at stays the first access, updated_at is set by TypeORM.
    await this.profiles.createQueryBuilder().insert().values({ userId }).orIgnore().execute();
    await this.profiles.update({ userId }, { displayName, shippingAddress: address });
    return this.profiles.findOneByOrFail({ userId });
  }

  /** For service callers: never creates a profile. */
  async get(userId: string): Promise<ProfileEntity> {
    const profile = await this.profiles.findOneBy({ userId });
    if (!profile) throw new ProfileNotFound();
    return profile;
  }

  /** Keyset pagination by user id: stable under inserts, no OFFSET scans. */
  async list(limit: number, cursor?: string): Promise<ProfilePage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await this.profiles.find({
      where: after === undefined ? {} : { userId: MoreThan(after) },
      order: { userId: 'ASC' },
      take: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.userId) : null };
  }
}
