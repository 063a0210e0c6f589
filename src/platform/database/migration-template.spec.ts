import { describe, expect, it } from '@jest/globals';
import { renderMigration } from '#src/platform/database/migration-template.js';

describe('renderMigration', () => {
  it('writes up in order and down in reverse, escaping template-literal syntax', () => {
    const source = renderMigration(
      'AddThings1700000000000',
      ['CREATE TABLE "a" ("v" text DEFAULT \'${x}\')', 'CREATE INDEX "i" ON "a" ("v")'],
      ['DROP TABLE "a"', 'DROP INDEX "i"'],
    );
    expect(source).toContain('export class AddThings1700000000000 implements MigrationInterface');
    expect(source).toContain("name = 'AddThings1700000000000';");
    expect(source).toContain(
      'await queryRunner.query(`CREATE TABLE "a" ("v" text DEFAULT \'\\${x}\')`);',
    );
    const down = source.slice(source.indexOf('async down'));
    expect(down.indexOf('DROP INDEX')).toBeLessThan(down.indexOf('DROP TABLE'));
  });
});
