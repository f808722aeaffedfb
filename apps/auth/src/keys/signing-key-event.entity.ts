import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SigningKeyState } from './signing-key.entity.js';

/** The audit trail of the key lifecycle: who moved which key from what to what, when and why. */
@Entity({ name: 'signing_key_events' })
export class SigningKeyEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) kid!: string;
  /** Null for a key's creation. */
  @Column({ name: 'from_state', type: 'text', nullable: true }) fromState!: SigningKeyState | null;
  @Column({ name: 'to_state', type: 'text' }) toState!: SigningKeyState;
  /** `scheduler`, `startup`, `client:<id>` or `user:<sub>` of the admin token. */
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}
