/** Undoes migrations, newest first, down to and including a name: the schema just before it. */
export { revertThrough } from '#src/platform/database/migrations.js';
