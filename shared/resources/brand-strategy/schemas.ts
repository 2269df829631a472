import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { entityId, hexColor, httpsUrl, stringList, text, timestamp } from '../fields.ts';

const strategyText = () => text().max(5000);

/** The brand-asset subset of a strategy, also served on its own at /brand-assets. */
const assetFields = {
  brandColors: z.array(hexColor()).max(100),
  brandFonts: stringList(100, 200),
  logoUrl: httpsUrl().nullable(),
};

/** PUT /brand-strategy: any subset; omitted fields carry over from the newest version. */
export const brandStrategyPut = z
  .strictObject({
    mission: strategyText(),
    vision: strategyText(),
    values: stringList(100, 5000),
    targetAudience: strategyText(),
    positioning: strategyText(),
    toneOfVoice: strategyText(),
    ...assetFields,
  })
  .partial()
  .meta({ id: 'BrandStrategyPut' });

/** PUT /brand-assets: any subset of the asset fields; adds a strategy version. */
export const brandAssetsPut = z.strictObject(assetFields).partial().meta({ id: 'BrandAssetsPut' });

export const brandStrategy = z
  .object({
    id: entityId(),
    version: z.number().int().min(1),
    mission: z.string(),
    vision: z.string(),
    values: z.array(z.string()),
    targetAudience: z.string(),
    positioning: z.string(),
    toneOfVoice: z.string(),
    brandColors: z.array(z.string()),
    brandFonts: z.array(z.string()),
    logoUrl: z.string().nullable(),
    createdAt: timestamp(),
  })
  .meta({ id: 'BrandStrategy' });

export const brandAssets = z
  .object({
    brandColors: z.array(z.string()),
    brandFonts: z.array(z.string()),
    logoUrl: z.string().nullable(),
  })
  .meta({ id: 'BrandAssets' });

export const brandStrategyHistoryQuery = z.strictObject(pageQuery());

export type BrandStrategyPut = z.output<typeof brandStrategyPut>;
export type BrandAssetsPut = z.output<typeof brandAssetsPut>;
export type BrandStrategy = z.output<typeof brandStrategy>;
export type BrandAssets = z.output<typeof brandAssets>;
