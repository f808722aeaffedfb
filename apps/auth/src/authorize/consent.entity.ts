import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The scopes a user allowed a third-party client; asked again only for a scope not in the list. */
@Entity({ name: 'consents' })
export class ConsentEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId!: string;
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId!: string;
  @Column({ type: 'text', array: true }) scopes!: string[];
  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' }) grantedAt!: Date;
}
