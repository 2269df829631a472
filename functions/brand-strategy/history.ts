import { brandRoutes } from '#functions/route-table/brand';
import { defineHandler } from '#shared/http/handler';
import { listBrandStrategyHistory } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-strategy/history'], ({ userId, query }) =>
  listBrandStrategyHistory(userId, query),
);
