import { Matches } from 'class-validator';
import { IntInRange } from '#src/platform/config/index.js';

/** The feeds' settings: snapshot slots, long-poll slots, the RPZ zone's records and SOA. */
export class FeedsConfig {
  /**
   * Snapshots streaming at once from one instance (each holds a database connection and a
   * REPEATABLE READ transaction, which holds back VACUUM while it lasts); then 429.
   */
  @IntInRange(1, 1000)
  SNAPSHOT_MAX_CONCURRENT = 8;

  /**
   * Snapshots one organization may stream at once from one instance (so that one ISP reading
   * slowly cannot take every slot); then 429.
   */
  @IntInRange(1, 1000)
  SNAPSHOT_MAX_PER_ORGANIZATION = 2;

  /**
   * Long polls of the change feed (`wait=`) one organization may have held at once on one
   * instance (so that one ISP cannot take every slot); then 429.
   */
  @IntInRange(1, 100000)
  FEED_WAIT_MAX_PER_ORGANIZATION = 100;

  /** Long polls of the change feed held at once on one instance; then 429. */
  @IntInRange(1, 1000000)
  FEED_WAIT_MAX = 10000;

  /** TTL of the records of the RPZ snapshot, in seconds. */
  @IntInRange(0, 86400)
  RPZ_TTL = 300;

  /** The RPZ zone's name server (SOA MNAME and NS). */
  @Matches(/^[A-Za-z0-9.-]{1,253}$/, { message: 'RPZ_NAME_SERVER must be a host name' })
  RPZ_NAME_SERVER = 'localhost.';

  /** The RPZ zone's contact (SOA RNAME), as an e-mail address or a DNS name. */
  @Matches(/^[A-Za-z0-9.@_-]{1,253}$/, {
    message: 'RPZ_CONTACT must be an e-mail address or a DNS name',
  })
  RPZ_CONTACT = 'hostmaster@department.example';

  /** The notice page's host that `redirect` requests send blocked names to. */
  @Matches(/^[A-Za-z0-9.-]{1,253}$/, { message: 'RPZ_NOTICE_HOST must be a host name' })
  RPZ_NOTICE_HOST = 'notice.department.example';
}
