import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Normalised (trimmed, lower-cased); unique. */
  @Column({ type: 'text', unique: true }) email!: string;
  @Column({ name: 'password_hash', type: 'text' }) passwordHash!: string;
  /** Scopes beyond the default user scopes (e.g. auth:admin). */
  @Column({ name: 'extra_scopes', type: 'text', array: true, default: () => "'{}'" }) extraScopes!: string[];
  @Column({ type: 'boolean', default: false }) disabled!: boolean;
  /** When the owner proved the address (POST /auth/verify-email); null until then. */
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true }) emailVerifiedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
