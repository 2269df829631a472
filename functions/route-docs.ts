/**
 * What the OpenAPI document says about each route beyond its shapes: an example of its request body and the
 * problems it can answer besides the ones every route of its kind can (those follow from the route table:
 * auth, body, path parameters, capabilities; see shared/http/openapi.ts). Kept next to the route table and
 * keyed by its keys; test/unit/openapi.test.ts fails when a route with a body has no example here, or an
 * example does not satisfy the route's own schema.
 */
import type { RouteDocs } from '#shared/http/openapi';
import type { RouteKey } from './routes.ts';

const UUID = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const providerTrouble = ['reauth-required', 'rate-limited', 'provider-error'] as const;

export const routeDocs: Partial<Record<RouteKey, RouteDocs>> = {
  'auth/register': {
    example: {
      email: 'ann@example.com',
      password: 'Correct-Horse-9!',
      name: 'Ann Example',
      organizationName: 'Example Ltd',
    },
    problems: ['email-taken', 'rate-limited'],
  },
  'auth/confirm': { example: { email: 'ann@example.com', code: '123456' }, problems: ['rate-limited'] },
  'auth/login': {
    example: { email: 'ann@example.com', password: 'Correct-Horse-9!' },
    problems: [
      'unauthorized',
      'user-not-confirmed',
      'password-reset-required',
      'challenge-required',
      'rate-limited',
    ],
  },
  'auth/refresh': {
    example: { refreshToken: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ…' },
    problems: ['unauthorized', 'challenge-required', 'rate-limited'],
  },
  'auth/me-get': { problems: ['not-found'] },
  'cloud-storage/connect': { problems: ['provider-not-configured', 'rate-limited'] },
  'cloud-storage/confirm': {
    example: { ticket: 'c2FuZGJveC10aWNrZXQtZXhhbXBsZQ' },
    problems: ['not-found', 'account-mismatch', 'provider-error', 'rate-limited'],
  },
  'cloud-storage/disconnect': { problems: ['not-found'] },
  'cloud-storage/list-files': { problems: ['not-found', ...providerTrouble] },
  'brand-voice-assets/import': {
    example: { provider: 'google_drive', fileId: '1a2B3c4D5e6F7g8H9i0J', category: 'tone_of_voice' },
    problems: ['not-found', 'payload-too-large', ...providerTrouble],
  },
  'brand-strategy/get': { problems: ['not-found'] },
  'brand-strategy/put': {
    example: {
      mission: 'Help small teams sound like themselves.',
      values: ['Plain words', 'Honesty'],
      brandColors: ['#1A73E8', '#FFFFFF'],
      toneOfVoice: 'Warm, direct, never cute.',
    },
    problems: ['contention'],
  },
  'brand-assets/put': {
    example: { brandColors: ['#1A73E8'], brandFonts: ['Inter'], logoUrl: 'https://example.com/logo.svg' },
    problems: ['contention'],
  },
  'competitors/create': {
    example: { name: 'Acme Corp', website: 'https://acme.example', strengths: ['Price'] },
    problems: ['conflict'],
  },
  'competitors/update': { example: { notes: 'Launched a new plan in March.' }, problems: ['conflict'] },
  'content/create': {
    example: { title: 'Spring launch post', contentType: 'blog_post', tags: ['launch'] },
  },
  'content/update': { example: { status: 'in_review' } },
  'content-calendar/create': {
    example: { contentId: UUID, channel: 'linkedin', scheduledFor: '2026-03-01T09:00:00Z' },
    problems: ['unknown-reference'],
  },
  'content-calendar/update': {
    example: { scheduledFor: '2026-03-02T09:00:00Z' },
    problems: ['unknown-reference'],
  },
  'published-posts/create': {
    example: {
      channel: 'linkedin',
      publishedAt: '2026-03-01T09:00:00Z',
      url: 'https://www.linkedin.com/feed/update/urn:li:activity:1',
      metrics: { impressions: 1200, clicks: 48 },
    },
    problems: ['unknown-reference'],
  },
  'published-posts/update': {
    example: { metrics: { impressions: 1500, clicks: 61 } },
    problems: ['unknown-reference'],
  },
  'brand-voice-assets/create': {
    example: { title: 'Tone of voice guide', category: 'tone_of_voice', content: 'We write like we talk.' },
  },
  'brand-voice-assets/update': { example: { title: 'Tone of voice guide (2026)' } },
  'brand-voice-assets/upload': {
    example: {
      title: 'Brand guidelines 2026',
      category: 'brand_guidelines',
      fileName: 'brand-guidelines-2026.pdf',
      contentType: 'application/pdf',
      size: 7340032,
    },
    problems: ['rate-limited'],
  },
};
