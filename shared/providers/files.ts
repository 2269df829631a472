import { dropboxFiles } from './dropbox.ts';
import { googleDriveFiles } from './google-drive.ts';
import { oneDriveFiles } from './onedrive.ts';
import type { Provider, ProviderFiles, ProviderFilesOptions } from './types.ts';

/** A files client for one access token. Cheap: created per attempt so that each has its own timeout. */
export function providerFiles(
  provider: Provider,
  accessToken: string,
  options: ProviderFilesOptions = {},
): ProviderFiles {
  switch (provider) {
    case 'google_drive':
      return googleDriveFiles(accessToken, options);
    case 'onedrive':
      return oneDriveFiles(accessToken, options);
    case 'dropbox':
      return dropboxFiles(accessToken, options);
  }
}
