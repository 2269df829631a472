import { describe, expect, it } from 'vitest';
import { missingScopes } from '#shared/providers/token-client';

describe('missingScopes: granted scopes compared per provider', () => {
  it('Microsoft: resource-qualified (by URL or Graph app id) and any casing count as granted', () => {
    expect(missingScopes('onedrive', ['https://graph.microsoft.com/Files.Read', 'User.Read'])).toEqual([]);
    expect(missingScopes('onedrive', ['https://graph.microsoft.com/files.read'])).toEqual([]);
    expect(missingScopes('onedrive', ['00000003-0000-0000-c000-000000000000/FILES.READ'])).toEqual([]);
    expect(missingScopes('onedrive', ['files.read'])).toEqual([]);
  });

  it('Microsoft: another resource, a longer name or a missing scope is not Files.Read', () => {
    expect(missingScopes('onedrive', ['https://evil.example/Files.Read'])).toEqual(['Files.Read']);
    expect(missingScopes('onedrive', ['https://graph.microsoft.com/Files.Read.Extra'])).toEqual([
      'Files.Read',
    ]);
    expect(missingScopes('onedrive', ['User.Read', 'openid'])).toEqual(['Files.Read']);
  });

  it('Google: the long form of email/profile and case differences are the same scope', () => {
    expect(
      missingScopes('google_drive', [
        'openid',
        'https://www.googleapis.com/auth/userinfo.email',
        'https://www.googleapis.com/auth/DRIVE.READONLY',
      ]),
    ).toEqual([]);
    expect(missingScopes('google_drive', ['openid', 'email'])).toEqual([
      'https://www.googleapis.com/auth/drive.readonly',
    ]);
  });

  it('Dropbox: each required scope must be granted', () => {
    expect(missingScopes('dropbox', ['files.metadata.read', 'files.content.read'])).toEqual([]);
    expect(missingScopes('dropbox', ['files.metadata.read'])).toEqual(['files.content.read']);
  });
});
