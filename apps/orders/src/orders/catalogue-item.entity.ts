import { Column, Entity, PrimaryColumn } from 'typeorm';

/** bigint comes back from pg as a string; prices are bounded by the table's CHECK. */
const bigintAsNumber = { to: (v: number): number => v, from: (v: string): number => Number(v) };

/** One product orders sells, and its price: the only source of an order's prices. */
@Entity({ name: 'catalogue_items' })
export class CatalogueItemEntity {
  @PrimaryColumn({ type: 'text' }) sku!: string;
  @Column({ type: 'text' }) name!: string;
  /** Minor units of `currency`. */
  @Column({ name: 'unit_price', type: 'bigint', transformer: bigintAsNumber }) unitPrice!: number;
  @Column({ type: 'char', length: 3 }) currency!: string;
}
