/** Escapes SQL for a JavaScript template literal. */
function literal(sql: string): string {
  return '`' + sql.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${') + '`';
}

function body(queries: string[]): string {
  if (queries.length === 0) return '    // TODO: write the migration';
  return queries.map((q) => `    await queryRunner.query(${literal(q)});`).join('\n');
}

/** Source of a migration class in migrations/; `down` undoes `up` in reverse order. */
export function renderMigration(className: string, up: string[], down: string[]): string {
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${body(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body([...down].reverse())}
  }
}
`;
}
