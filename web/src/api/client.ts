import createClient from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

/** The typed API client: every path, parameter, body and answer comes from the generated OpenAPI types. */
export type Api = ReturnType<typeof createClient<paths>>;
export type Schemas = components['schemas'];

export function createApi(baseUrl: string, token: () => string | undefined): Api {
  const api = createClient<paths>({ baseUrl });
  api.use({
    onRequest({ request }) {
      const value = token();
      if (value) request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  });
  return api;
}
