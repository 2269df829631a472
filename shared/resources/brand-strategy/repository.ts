import { type ColumnType, defineCollection } from '#shared/db/collection';
import type { Tx } from '#shared/db/tenant';
import { redact } from '#shared/logger';
import type { BrandStrategy, BrandStrategyPut } from './schemas.ts';

type Field = keyof Required<BrandStrategyPut>;

/** Each field's column and the value a first version starts from when the field is omitted. */
const FIELDS: Record<Field, { column: string; type: ColumnType; initial: string }> = {
  mission: { column: 'mission', type: 'text', initial: "''" },
  vision: { column: 'vision', type: 'text', initial: "''" },
  values: { column: 'values', type: 'text[]', initial: "'{}'" },
  targetAudience: { column: 'target_audience', type: 'text', initial: "''" },
  positioning: { column: 'positioning', type: 'text', initial: "''" },
  toneOfVoice: { column: 'tone_of_voice', type: 'text', initial: "''" },
  brandColors: { column: 'brand_colors', type: 'text[]', initial: "'{}'" },
  brandFonts: { column: 'brand_fonts', type: 'text[]', initial: "'{}'" },
  logoUrl: { column: 'logo_url', type: 'text', initial: 'null' },
};
const FIELD_NAMES = Object.keys(FIELDS) as Field[];

/** Versions as a read-only collection: history pages and the projection to the API shape. */
export const brandStrategyVersions = defineCollection<Field | 'version', BrandStrategy>({
  table: 'brand_strategy',
  resourceType: 'brand_strategy',
  mutable: false,
  columns: {
    version: { column: 'version', type: 'integer' },
    ...Object.fromEntries(FIELD_NAMES.map((f) => [f, { column: FIELDS[f].column, type: FIELDS[f].type }])),
  } as Record<Field | 'version', { column: string; type: ColumnType }>,
});

const q = (name: string): string => `"${name}"`;

export async function latestVersion(tx: Tx, userId: string): Promise<BrandStrategy | null> {
  const { rows } = await tx.query(
    `select ${brandStrategyVersions.projection('r')} from brand_strategy r
     where r.user_id = $1::uuid order by r.version desc limit 1`,
    [userId],
  );
  return (rows[0] as BrandStrategy | undefined) ?? null;
}

/**
 * Appends version n+1 with the given fields; omitted fields carry over from version n. Writes the version and
 * its audit event in one statement. Returns null when a concurrent writer took the same version number first:
 * the unique (user_id, version) key makes this insert wait for that writer and then do nothing, and the caller
 * retries with a new statement, whose fresh snapshot sees the version just committed. Concurrent writers for
 * one user are thereby serialised without an extra round trip, and no write is lost.
 */
export async function tryAppendVersion(
  tx: Tx,
  userId: string,
  changes: BrandStrategyPut,
): Promise<BrandStrategy | null> {
  const values: unknown[] = [userId];
  const set = FIELD_NAMES.filter((f) => changes[f] !== undefined);
  const expressions = FIELD_NAMES.map((f) => {
    const { column, type, initial } = FIELDS[f];
    if (changes[f] === undefined) return `coalesce(p.${q(column)}, ${initial})`;
    values.push(changes[f]);
    return `$${values.length}::${type}`;
  });
  values.push(JSON.stringify(redact({ fields: set })));
  const metadata = `$${values.length}::jsonb`;
  const { rows } = await tx.query(
    `with prev as (
       select * from brand_strategy where user_id = $1::uuid order by version desc limit 1
     ),
     ins as (
       insert into brand_strategy (user_id, version, ${FIELD_NAMES.map((f) => q(FIELDS[f].column)).join(', ')})
       select $1::uuid, coalesce(p.version, 0) + 1, ${expressions.join(', ')}
       from (select) one left join prev p on true
       on conflict (user_id, version) do nothing
       returning *
     ),
     audit as (
       insert into audit_log (user_id, action, resource_type, resource_id, metadata)
       select ins.user_id, 'brand_strategy.updated', 'brand_strategy', ins.id::text,
              ${metadata} || jsonb_build_object('version', ins.version)
       from ins
     )
     select ${brandStrategyVersions.projection('r')} from ins r`,
    values,
  );
  return (rows[0] as BrandStrategy | undefined) ?? null;
}
