import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IntegerParam } from '#src/platform/problem/index.js';
import { IsOptional } from 'class-validator';
import {
  CHANGE_REASONS,
  FEED_TYPES,
  RPZ_ACTIONS,
  type RpzAction,
} from '#src/feeds/feed-vocabulary.js';

export const MAX_CHANGES_PAGE = 10000;
export const DEFAULT_CHANGES_PAGE = 1000;
/** The longest `wait=` of a long poll, in seconds. */
export const MAX_CHANGES_WAIT_S = 60;

export class ChangesQuery {
  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    description: 'The version you hold (`next` of your previous answer); 0 for everything',
  })
  @IsOptional()
  @IntegerParam(0, Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_CHANGES_PAGE, default: DEFAULT_CHANGES_PAGE })
  @IsOptional()
  @IntegerParam(1, MAX_CHANGES_PAGE)
  limit?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_CHANGES_WAIT_S,
    default: 0,
    description:
      'Long poll: when nothing of yours is newer than `after` (or `If-None-Match` matches), hold the request up to this many seconds and answer as soon as a change of your feed commits; at the end of the wait, the same answer as without `wait` (304 or an empty page). 0: answer at once',
  })
  @IsOptional()
  @IntegerParam(0, MAX_CHANGES_WAIT_S)
  wait?: number;
}

export class FeedChange {
  @ApiProperty({ description: 'Feed version of this change' }) version!: number;
  @ApiProperty({ enum: ['add', 'remove'] }) op!: 'add' | 'remove';
  @ApiProperty({ enum: FEED_TYPES }) type!: string;
  @ApiProperty({ description: 'Canonical value' }) value!: string;
  @ApiProperty({ format: 'uuid' }) indicatorId!: string;
  @ApiProperty({ enum: CHANGE_REASONS })
  reason!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) requestId!: string | null;
  @ApiProperty({ type: String, nullable: true }) documentNumber!: string | null;
  @ApiProperty({
    type: String,
    enum: RPZ_ACTIONS,
    nullable: true,
    description:
      'For an `add`: the DNS action of the request that added it; null for a removal. (The RPZ snapshot ranks the actions of every request holding an entry, strictest first.)',
  })
  dnsAction!: RpzAction | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class ChangesResponse {
  @ApiProperty({ description: 'The `after` this answer starts from' }) after!: number;
  @ApiProperty({ description: 'The version to ask for next (`after=`)' }) next!: number;
  @ApiProperty({ description: 'More changes wait: ask again at once with `after=next`' })
  more!: boolean;
  @ApiProperty({ description: 'The committed feed version when this was answered' })
  currentVersion!: number;
  @ApiProperty({ type: [FeedChange] }) changes!: FeedChange[];
}

export class IspFeedStatus {
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty() shortCode!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastPullAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastFormat!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The version it was last given' })
  heldVersion!: number | null;
  @ApiProperty({ description: 'Its changes above that version' }) pendingChanges!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Seconds since its last pull' })
  secondsSinceLastPull!: number | null;
}

export class FeedStatusResponse {
  @ApiProperty() currentVersion!: number;
  @ApiProperty({ type: [IspFeedStatus] }) isps!: IspFeedStatus[];
}
