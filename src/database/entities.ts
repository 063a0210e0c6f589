/**
 * Every TypeORM entity of the application. A feature adds its entities here; the migration
 * drift check compares exactly this list against `migrations/`.
 */
export const ENTITIES: Function[] = [];
