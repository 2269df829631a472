/**
 * The lifecycle events of API.md ("Events"). Adding a type here is all it takes for the outbox, the feed's
 * `?type=` filter, the OpenAPI document and the webhook payloads to know it.
 */
export const EVENT_TYPES = [
  'cloud_storage.connected',
  'cloud_storage.reconnected',
  'cloud_storage.refresh_failed',
  'cloud_storage.needs_reauth',
  'cloud_storage.recovered',
  'cloud_storage.disconnected',
  'brand_voice_asset.ready',
  'brand_voice_asset.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What an event is about: `{ type: 'cloud_connection', id: <connection id> }`, `{ type: 'brand_voice_asset', … }`. */
export interface EventSubject {
  type: string;
  id: string;
}

/** An event as the feed, the bus and the webhooks carry it. */
export interface LifecycleEvent {
  id: string;
  type: EventType;
  occurredAt: string;
  subject: EventSubject;
  data: Record<string, unknown>;
}
