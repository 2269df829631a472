import { defineCollection } from '#shared/db/collection';
import { Conflict } from '#shared/errors';
import type { Competitor, CompetitorCreate } from './schemas.ts';

export const competitorsTable = defineCollection<keyof CompetitorCreate, Competitor>({
  table: 'competitors',
  resourceType: 'competitor',
  mutable: true,
  columns: {
    name: { column: 'name', type: 'text' },
    website: { column: 'website', type: 'text' },
    description: { column: 'description', type: 'text' },
    strengths: { column: 'strengths', type: 'text[]' },
    weaknesses: { column: 'weaknesses', type: 'text[]' },
    notes: { column: 'notes', type: 'text' },
  },
  constraints: {
    // Unique on (user_id, lower(name)): two users may both track "Acme", and A learns nothing about B's names.
    competitors_name_per_user: () =>
      new Conflict('A competitor with this name already exists.', 'conflict', [
        { path: 'name', message: 'Already used by another of your competitors (names are case-insensitive)' },
      ]),
  },
});
