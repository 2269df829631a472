/** The cloud-storage providers a user can connect, as they appear in URLs and in the database. */
export const PROVIDERS = ['google_drive', 'onedrive', 'dropbox'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Every URL a provider integration talks to. Real values by default; tests and `PROVIDERS=sandbox` point them
 * at the loopback fakes in local/sandbox/, so the real SDKs run unmodified against them.
 */
export interface ProviderEndpoints {
  google_drive: {
    authorizeUrl: string; // accounts.google.com/o/oauth2/v2/auth
    tokenUrl: string; // oauth2.googleapis.com/token
    revokeUrl: string; // oauth2.googleapis.com/revoke
    userinfoUrl: string; // openidconnect.googleapis.com/v1/userinfo
    driveRootUrl: string; // www.googleapis.com/ (googleapis `rootUrl`)
  };
  onedrive: {
    authorizeUrl: string; // login.microsoftonline.com/common/oauth2/v2.0/authorize
    tokenUrl: string; // login.microsoftonline.com/common/oauth2/v2.0/token
    graphBaseUrl: string; // graph.microsoft.com/ (Graph client `baseUrl`, version v1.0 appended by the SDK)
  };
  dropbox: {
    authorizeUrl: string; // www.dropbox.com/oauth2/authorize
    tokenUrl: string; // api.dropboxapi.com/oauth2/token
    revokeUrl: string; // api.dropboxapi.com/2/auth/token/revoke
    apiBaseUrl: string; // api.dropboxapi.com (RPC endpoints: /2/...)
    contentBaseUrl: string; // content.dropboxapi.com (/2/files/download)
  };
}

export const REAL_ENDPOINTS: ProviderEndpoints = {
  google_drive: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
    userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    driveRootUrl: 'https://www.googleapis.com/',
  },
  onedrive: {
    authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    graphBaseUrl: 'https://graph.microsoft.com/',
  },
  dropbox: {
    authorizeUrl: 'https://www.dropbox.com/oauth2/authorize',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    revokeUrl: 'https://api.dropboxapi.com/2/auth/token/revoke',
    apiBaseUrl: 'https://api.dropboxapi.com',
    contentBaseUrl: 'https://content.dropboxapi.com',
  },
};
