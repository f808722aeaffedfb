import { RequestValidationError, schemaRef } from '@authmesh/platform';
import { type Principal, CurrentPrincipal, Scopes } from '@authmesh/token-verifier';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreateOrderDto, ListOrdersQuery, type OrderView, toOrderView } from './orders.dto.js';
import { OrdersService } from './orders.service.js';

/** Printable ASCII, 1-255 characters (as Stripe's keys; a UUID fits). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKeyOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(raw)) {
    throw new RequestValidationError([
      { field: 'Idempotency-Key', problems: ['Idempotency-Key must be 1-255 printable ASCII characters'] },
    ]);
  }
  return raw;
}

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** 201 with the order; a retry with the same Idempotency-Key answers the first order again. */
  @Scopes('orders:write')
  @Post()
  @ApiOperation({ summary: "Place an order (prices from the catalogue, address from the caller's profile)" })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1-255 printable ASCII characters; a retry with the same key answers the first order.',
  })
  @ApiCreatedResponse({
    description: 'The order. `Idempotent-Replayed: true` when a retry with the same Idempotency-Key answered the first one.',
    schema: schemaRef('OrderView'),
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const { order, replayed } = await this.orders.create(principal.sub, body, idempotencyKeyOf(rawKey), request.id);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return toOrderView(order);
  }

  @Scopes('orders:read')
  @Get()
  @ApiOperation({ summary: "The caller's orders, newest first, keyset-paginated" })
  @ApiOkResponse({ schema: schemaRef('OrderPage') })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQuery,
  ): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const page = await this.orders.list(principal.sub, query.limit ?? 20, query.cursor);
    return { items: page.items.map(toOrderView), nextCursor: page.nextCursor };
  }

  @Scopes('orders:read')
  @Get(':id')
  @ApiOperation({ summary: "One of the caller's orders (404 for another user's)" })
  @ApiOkResponse({ schema: schemaRef('OrderView') })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OrderView> {
    return toOrderView(await this.orders.get(principal.sub, id));
  }

  @Scopes('orders:write')
  @HttpCode(200)
  @Post(':id/cancel')
  @ApiOperation({ summary: "Cancel one of the caller's orders" })
  @ApiOkResponse({ schema: schemaRef('OrderView') })
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OrderView> {
    return toOrderView(await this.orders.cancel(principal.sub, id));
  }
}
