export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
export const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? mib(bytes) : bytes >= 10 * 1024 ? kib(bytes) : `${bytes} B`;
export const ms = (value: number, digits = 2): string => `${value.toFixed(digits)} ms`;
export const ratio = (value: number): string => `${value.toFixed(2)}×`;
export const pct = (value: number): string => `${(value * 100).toFixed(0)} %`;
export const yes = (met: boolean | null): string => (met === null ? '—' : met ? 'met' : '**missed**');
