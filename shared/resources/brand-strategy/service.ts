import { withTenantWrite } from '#shared/db/idempotency';
import { decodeCursor, type Page, type PageRequest } from '#shared/db/pagination';
import { withTenant } from '#shared/db/tenant';
import { NotFound, ServiceUnavailable } from '#shared/errors';
import { brandStrategyVersions, latestVersion, tryAppendVersion } from './repository.ts';
import type { BrandAssets, BrandAssetsPut, BrandStrategy, BrandStrategyPut } from './schemas.ts';

/** How often one request re-reads the newest version after losing a race to a concurrent writer. */
const MAX_APPEND_ATTEMPTS = 20;

export async function getBrandStrategy(userId: string): Promise<BrandStrategy> {
  const latest = await withTenant(userId, (tx) => latestVersion(tx, userId));
  if (!latest) throw new NotFound('Brand strategy');
  return latest;
}

/** Adds a version: the given fields replace, omitted fields carry over. Versions start at 1. */
export function putBrandStrategy(userId: string, changes: BrandStrategyPut): Promise<BrandStrategy> {
  return withTenantWrite(userId, async (tx) => {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const version = await tryAppendVersion(tx, userId, changes);
      if (version) return version;
    }
    throw new ServiceUnavailable('Too many concurrent brand strategy updates; try again.', 1, 'contention');
  });
}

export function listBrandStrategyHistory(userId: string, query: PageRequest): Promise<Page<BrandStrategy>> {
  const after = decodeCursor(userId, query.cursor);
  return withTenant(userId, (tx) => brandStrategyVersions.list(tx, userId, { limit: query.limit, after }));
}

const assetsOf = (strategy: BrandStrategy | null): BrandAssets => ({
  brandColors: strategy?.brandColors ?? [],
  brandFonts: strategy?.brandFonts ?? [],
  logoUrl: strategy?.logoUrl ?? null,
});

export async function getBrandAssets(userId: string): Promise<BrandAssets> {
  return assetsOf(await withTenant(userId, (tx) => latestVersion(tx, userId)));
}

/** The asset subset of the strategy; writing it adds a strategy version like any other change. */
export async function putBrandAssets(userId: string, changes: BrandAssetsPut): Promise<BrandAssets> {
  return assetsOf(await putBrandStrategy(userId, changes));
}
