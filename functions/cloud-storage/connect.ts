import { routes } from '#functions/routes';
import { startConnect } from '#shared/cloud-storage/oauth';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['cloud-storage/connect'], ({ userId, params }) =>
  startConnect(userId, params.provider),
);
