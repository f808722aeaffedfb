import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Orders1765000000000 } from '../migrations/1765000000000-orders.js';
import { Catalogue1765000000001 } from '../migrations/1765000000001-catalogue.js';
import { CatalogueItemEntity } from './catalogue-item.entity.js';
import type { ProfilesClientConfig } from '../profiles-client/profiles-client.config.js';
import { ProfilesClientModule } from '../profiles-client/profiles-client.module.js';
import { OrderEntity } from './order.entity.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

/** What the root module passes to PlatformModule's `database`. */
export const ordersEntities = [OrderEntity, CatalogueItemEntity];
export const ordersMigrations = [Orders1765000000000, Catalogue1765000000001];

/** The orders API (`/orders`), placing orders with the address fetched from profiles. */
@Module({})
export class OrdersApiModule {
  static forRoot(profiles: ProfilesClientConfig): DynamicModule {
    return {
      module: OrdersApiModule,
      imports: [TypeOrmModule.forFeature([OrderEntity, CatalogueItemEntity]), ProfilesClientModule.forRoot(profiles)],
      controllers: [OrdersController],
      providers: [OrdersService],
    };
  }
}
