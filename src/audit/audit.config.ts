import { IntInRange } from '#src/platform/config/index.js';

/** The audit trail's settings: how often it is chained and checkpointed. */
export class AuditConfig {
  /**
   * Seconds between signed audit checkpoints (also one at start and on every export); 0: only
   * on export (the start then reads the newest, makes none).
   */
  @IntInRange(0, 86400, ' (off)')
  AUDIT_CHECKPOINT_INTERVAL_S = 300;

  /**
   * Milliseconds between the sealer's rounds, which chain the events committed since the last
   * one (readers of the chain seal what is committed first, whatever this is); 0: only on
   * demand.
   */
  @IntInRange(0, 60000, ' (off)')
  AUDIT_SEAL_INTERVAL_MS = 200;
}
