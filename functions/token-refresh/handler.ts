export const handler = async () => {
  throw new Error('token refresh not implemented yet');
};
