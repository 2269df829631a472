import type { Page, PageRequest } from '#shared/db/pagination';
import { collectionService } from '../collection-service.ts';
import { competitorsTable } from './repository.ts';
import type { Competitor, CompetitorCreate, CompetitorPatch } from './schemas.ts';

const competitors = collectionService(competitorsTable, 'Competitor');

export const listCompetitors = (userId: string, query: PageRequest): Promise<Page<Competitor>> =>
  competitors.list(userId, query);
export const createCompetitor = (userId: string, input: CompetitorCreate): Promise<Competitor> =>
  competitors.create(userId, input);
export const getCompetitor = (userId: string, id: string): Promise<Competitor> => competitors.get(userId, id);
export const updateCompetitor = (userId: string, id: string, patch: CompetitorPatch): Promise<Competitor> =>
  competitors.update(userId, id, patch);
export const deleteCompetitor = (userId: string, id: string): Promise<void> => competitors.remove(userId, id);
