import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { meta } from '#shared/schema-meta';
import { entityId, hexColor, httpsUrl, stringList, text, timestamp } from '../fields.ts';

const strategyText = () => text().check(z.maxLength(5000));

/** The brand-asset subset of a strategy, also served on its own at /brand-assets. */
const assetFields = {
  brandColors: z.array(hexColor()).check(z.maxLength(100)),
  brandFonts: stringList(100, 200),
  logoUrl: z.nullable(httpsUrl()),
};

/** PUT /brand-strategy: any subset; omitted fields carry over from the newest version. */
export const brandStrategyPut = meta(
  z.partial(
    z.strictObject({
      mission: strategyText(),
      vision: strategyText(),
      values: stringList(100, 5000),
      targetAudience: strategyText(),
      positioning: strategyText(),
      toneOfVoice: strategyText(),
      ...assetFields,
    }),
  ),
  { id: 'BrandStrategyPut' },
);

/** PUT /brand-assets: any subset of the asset fields; adds a strategy version. */
export const brandAssetsPut = meta(z.partial(z.strictObject(assetFields)), { id: 'BrandAssetsPut' });

export const brandStrategy = meta(
  z.object({
    id: entityId(),
    version: z.number().check(z.int(), z.gte(1)),
    mission: z.string(),
    vision: z.string(),
    values: z.array(z.string()),
    targetAudience: z.string(),
    positioning: z.string(),
    toneOfVoice: z.string(),
    brandColors: z.array(z.string()),
    brandFonts: z.array(z.string()),
    logoUrl: z.nullable(z.string()),
    createdAt: timestamp(),
  }),
  { id: 'BrandStrategy' },
);

export const brandAssets = meta(
  z.object({
    brandColors: z.array(z.string()),
    brandFonts: z.array(z.string()),
    logoUrl: z.nullable(z.string()),
  }),
  { id: 'BrandAssets' },
);

export const brandStrategyHistoryQuery = z.strictObject(pageQuery());

export type BrandStrategyPut = z.output<typeof brandStrategyPut>;
export type BrandAssetsPut = z.output<typeof brandAssetsPut>;
export type BrandStrategy = z.output<typeof brandStrategy>;
export type BrandAssets = z.output<typeof brandAssets>;
