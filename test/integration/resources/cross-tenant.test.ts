import { crossTenantMatrix } from './cross-tenant-matrix.ts';

/** Every route on another user's ids and lists, with row-level security as deployed (see the matrix). */
crossTenantMatrix();
