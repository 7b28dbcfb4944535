export { ResponseCache, withCache, cacheKey } from './response-cache.js';
export type { CacheIdentified, CacheStats, CachedProvider, WithCacheOptions } from './response-cache.js';
