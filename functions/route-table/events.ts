import { eventsPage, eventsQuery } from '#shared/events/schemas';
import type { RouteDef } from '#shared/http/route';

export const eventRoutes = {
  'events/list': {
    method: 'GET',
    path: '/events',
    auth: 'jwt',
    summary: "The caller's lifecycle events (connections, documents), oldest first after the cursor",
    tag: 'events',
    capabilities: ['db'],
    query: eventsQuery,
    status: 200,
    response: eventsPage,
  },
} as const satisfies Record<string, RouteDef>;
