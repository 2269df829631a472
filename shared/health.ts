import { isDbUnavailable } from '#shared/db/errors';
import { connect } from '#shared/db/pool';
import { ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';

/** Liveness plus a round trip to the database as the application role: 503 when it cannot be reached. */
export async function checkHealth(): Promise<{ status: 'ok' }> {
  try {
    const client = await connect('app');
    let broken: Error | undefined;
    try {
      await client.query('select 1');
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      client.release(broken ?? false);
    }
  } catch (error) {
    logger.warn('Health check failed', {
      unavailable: isDbUnavailable(error),
      code: (error as { code?: string }).code,
    });
    throw new ServiceUnavailable('The database is unreachable.');
  }
  return { status: 'ok' };
}
