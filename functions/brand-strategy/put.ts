import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { putBrandStrategy } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(routes['brand-strategy/put'], ({ userId, body }) =>
  putBrandStrategy(userId, body),
);
