import type { RouteDef } from '#shared/http/route';
import { page } from '#shared/http/schemas';
import {
  brandAssets,
  brandAssetsPut,
  brandStrategy,
  brandStrategyHistoryQuery,
  brandStrategyPut,
} from '#shared/resources/brand-strategy/schemas';

const db = ['db'] as const;

export const brandRoutes = {
  'brand-strategy/get': {
    method: 'GET',
    path: '/brand-strategy',
    auth: 'jwt',
    summary: 'The newest brand strategy version (404 when there is none yet)',
    tag: 'brand',
    capabilities: db,
    status: 200,
    response: brandStrategy,
  },
  'brand-strategy/put': {
    method: 'PUT',
    path: '/brand-strategy',
    auth: 'jwt',
    summary: 'Add a brand strategy version; omitted fields carry over',
    tag: 'brand',
    capabilities: db,
    body: brandStrategyPut,
    status: 200,
    response: brandStrategy,
  },
  'brand-strategy/history': {
    method: 'GET',
    path: '/brand-strategy/history',
    auth: 'jwt',
    summary: 'Brand strategy versions, newest first',
    tag: 'brand',
    capabilities: db,
    query: brandStrategyHistoryQuery,
    status: 200,
    response: page(brandStrategy),
  },
  'brand-assets/get': {
    method: 'GET',
    path: '/brand-assets',
    auth: 'jwt',
    summary: 'Brand colours, fonts and logo of the newest strategy version',
    tag: 'brand',
    capabilities: db,
    status: 200,
    response: brandAssets,
  },
  'brand-assets/put': {
    method: 'PUT',
    path: '/brand-assets',
    auth: 'jwt',
    summary: 'Change brand colours, fonts or logo (adds a strategy version)',
    tag: 'brand',
    capabilities: db,
    body: brandAssetsPut,
    status: 200,
    response: brandAssets,
  },
} as const satisfies Record<string, RouteDef>;
