import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listBrandStrategyHistory } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(routes['brand-strategy/history'], ({ userId, query }) =>
  listBrandStrategyHistory(userId, query),
);
