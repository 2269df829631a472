import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getBrandStrategy } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(routes['brand-strategy/get'], ({ userId }) => getBrandStrategy(userId));
