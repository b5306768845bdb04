// Public API of the upstream part: the EmpowerVerse endpoints, their record schemas and the HTTP client.
export { createUpstreamClient, type UpstreamClient } from './client.js';
export {
  type ResolvedClientOptions,
  type RetryInfo,
  resolveClientOptions,
  type UpstreamClientOptions,
} from './client-options.js';
export { fetchPage, type PageResult } from './fetch-page.js';
export { type PagesOptions, pages } from './pager.js';
export { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
export * from './schemas.js';
export * from './sources.js';
export { describeIssues, type InvalidRecord, validateRecords } from './validate-records.js';
