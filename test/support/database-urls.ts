/** The migrated database of this test run (made by global-setup.ts). */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DB_URL;
  if (!url) throw new Error('TEST_DB_URL is not set: run the tests through npm test');
  return url;
}
