/** Drops the run's database, or stops and removes the embedded server (see global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__TEST_DATABASE_TEARDOWN__?.();
}
