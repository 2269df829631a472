import { defineHandler } from '#functions/define-handler';
import { brandRoutes } from '#functions/route-table/brand';
import { listBrandStrategyHistory } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-strategy/history'], ({ userId, query }) =>
  listBrandStrategyHistory(userId, query),
);
