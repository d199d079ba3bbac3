/**
 * Acme order event → CRM order. Pure and deterministic: golden fixtures pin it.
 * Null policy: a null in the source is omitted from the output (the CRM rejects explicit nulls).
 */
import { type MappingContext, MappingError } from '../types.js';
import type { AcmeOrderEvent } from './schema.js';

export interface CrmOrder {
  readonly externalId: string;
  readonly eventType: 'ORDER_CREATED' | 'ORDER_UPDATED';
  readonly stage: 'NEW' | 'WON' | 'FULFILLED' | 'LOST';
  readonly amount: string;
  readonly tax?: string;
  readonly currency: string;
  readonly createdAt: string;
  readonly updatedAt?: string;
  readonly contact: {
    readonly externalId: string;
    readonly email: string;
    readonly fullName?: string;
    readonly phone?: string;
  };
  readonly lineItems: readonly {
    readonly sku: string;
    readonly quantity: number;
    readonly unitPrice: string;
  }[];
  readonly notes?: string;
  readonly source: { readonly eventId: string; readonly receivedAt: string };
}

const STAGES = { pending: 'NEW', paid: 'WON', shipped: 'FULFILLED', cancelled: 'LOST' } as const;
const EVENT_TYPES = { 'order.created': 'ORDER_CREATED', 'order.updated': 'ORDER_UPDATED' } as const;

/** ISO 4217 minor units where they are not 2; "cents" from Acme are the currency's minor unit. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  ISK: 0,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

/** Minor units → decimal string without floating point: 12345 EUR → "123.45", 500 JPY → "500". */
export function toDecimal(minor: number, currency: string): string {
  const digits = MINOR_UNITS[currency] ?? 2;
  if (!Number.isSafeInteger(minor)) throw new MappingError(`amount ${minor} is not a safe integer`);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor)
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

export function unixSecondsToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export function mapAcmeOrder(event: AcmeOrderEvent, context: MappingContext): CrmOrder {
  const { data } = event;
  if (data.updated_at !== null && data.updated_at < data.created_at) {
    throw new MappingError('updated_at is before created_at');
  }
  return omitUndefined({
    externalId: data.order_id,
    eventType: EVENT_TYPES[event.type],
    stage: STAGES[data.status],
    amount: toDecimal(data.total_cents, data.currency),
    tax: data.tax_cents === null ? undefined : toDecimal(data.tax_cents, data.currency),
    currency: data.currency,
    createdAt: unixSecondsToIso(data.created_at),
    updatedAt: data.updated_at === null ? undefined : unixSecondsToIso(data.updated_at),
    contact: omitUndefined({
      externalId: data.customer.id,
      email: data.customer.email,
      fullName: data.customer.name ?? undefined,
      phone: data.customer.phone ?? undefined,
    }),
    lineItems: data.items.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: toDecimal(item.unit_price_cents, data.currency),
    })),
    notes: data.note ?? undefined,
    source: { eventId: context.eventId, receivedAt: context.receivedAt },
  });
}

/** Drops undefined keys so JSON and deep equality agree on what is "omitted". */
function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
