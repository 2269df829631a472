import {
  callbackQuery,
  cloudConnection,
  confirmBody,
  connectionsResponse,
  connectResponse,
  providerParams,
} from '#shared/cloud-storage/schemas';
import type { RouteDef } from '#shared/http/route';

const tag = 'cloud-storage';

export const cloudStorageRoutes = {
  'cloud-storage/connect': {
    method: 'GET',
    path: '/cloud-storage/connect/{provider}',
    auth: 'jwt',
    summary: 'Start connecting a provider: returns the authorization URL to navigate to',
    tag,
    // The signing key derives the attempt's PKCE verifier from its state (nothing stored in clear).
    capabilities: ['db', 'providers', 'signing-key'],
    params: providerParams,
    status: 200,
    response: connectResponse,
  },
  'cloud-storage/callback': {
    method: 'GET',
    path: '/cloud-storage/callback/{provider}',
    auth: 'public',
    summary: 'OAuth redirect target: exchanges the code and redirects to the frontend with a one-time ticket',
    tag,
    capabilities: ['db', 'vault', 'providers', 'signing-key'],
    params: providerParams,
    query: callbackQuery,
    status: 302,
    responseKind: 'redirect',
  },
  'cloud-storage/confirm': {
    method: 'POST',
    path: '/cloud-storage/connections/{provider}/confirm',
    auth: 'jwt',
    summary: 'Activate the pending connection of the user who started the flow',
    tag,
    capabilities: ['db', 'vault', 'providers'],
    params: providerParams,
    body: confirmBody,
    status: 200,
    response: cloudConnection,
  },
  'cloud-storage/list-connections': {
    method: 'GET',
    path: '/cloud-storage/connections',
    auth: 'jwt',
    summary: 'The caller’s provider connections (never tokens)',
    tag,
    capabilities: ['db'],
    status: 200,
    response: connectionsResponse,
  },
  'cloud-storage/disconnect': {
    method: 'DELETE',
    path: '/cloud-storage/connections/{provider}',
    auth: 'jwt',
    summary: 'Revoke at the provider where possible and delete the connection',
    tag,
    irreversible: true,
    capabilities: ['db', 'vault', 'providers'],
    params: providerParams,
    status: 204,
    responseKind: 'empty',
  },
} as const satisfies Record<string, RouteDef>;
