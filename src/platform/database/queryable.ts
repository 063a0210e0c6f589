/** A connection that runs SQL: a TypeORM EntityManager or QueryRunner, or a `pg` client. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}
