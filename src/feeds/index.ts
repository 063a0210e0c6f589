/**
 * The public entry of feeds: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { FeedChangeLogModule } from '#src/feeds/change-log/feed-change-log.module.js';
export { readFeedVersion } from '#src/feeds/change-log/feed-version.js';
export { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
export type { PublishedTo } from '#src/feeds/change-log/feed-writer.js';
export { FEED_TYPES, PULL_FORMATS, RPZ_ACTIONS, TLP_LEVELS } from '#src/feeds/feed-vocabulary.js';
export type { PullFormat, RpzAction, Tlp } from '#src/feeds/feed-vocabulary.js';
export { FeedsConfig } from '#src/feeds/feeds.config.js';
export { FeedsModule } from '#src/feeds/feeds.module.js';
export { ConditionalPoll } from '#src/feeds/pulls/conditional-poll.js';
export { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
export { FeedModule } from '#src/feeds/pulls/feed.module.js';
export { lastChangeVersionSql, pendingChangesSql } from '#src/feeds/pulls/feed.repository.js';
export { DepartmentIdentityService } from '#src/feeds/snapshots/department-identity.service.js';
export { TAXII_ERROR_DIALECT } from '#src/feeds/taxii/taxii-media.js';
